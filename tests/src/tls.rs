//! Certificates made at test time (rcgen): a CA written as PEM, the file a client is told to
//! trust (`ca_file`), and the server and client certificates it signs.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::path::{Path, PathBuf};

/// A CA written as `<name>-ca.pem`, able to sign server and client certificates.
pub struct TestCa {
    /// The CA's certificate (PEM): what a client trusts.
    pub pem: PathBuf,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(dir: &Path, name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("Loupe test CA {name}"));
        let cert = params.self_signed(&key).expect("self-sign CA");
        let pem = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&pem, cert.pem()).expect("write CA");
        TestCa {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate for `names` (host names or IP addresses) signed by this CA, written as
    /// `<file>.pem` and `<file>.key`: (cert path, key path).
    pub fn sign(&self, dir: &Path, file: &str, names: &[&str]) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        params.distinguished_name.push(DnType::CommonName, file);
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        let (c, k) = (
            dir.join(format!("{file}.pem")),
            dir.join(format!("{file}.key")),
        );
        std::fs::write(&c, cert.pem()).expect("write cert");
        std::fs::write(&k, key.serialize_pem()).expect("write key");
        (c, k)
    }
}
