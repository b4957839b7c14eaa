//! Syslog input (`[[syslog]]` in `loupe.toml`): RFC 3164 and RFC 5424 messages over UDP
//! or TCP (newline or octet-counted framing), turned into events with `host`, `appname`,
//! `procid`, `severity` and `facility`.

use std::net::SocketAddr;

/// Where a `[[syslog]]` table listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// One datagram, one message.
    Udp(SocketAddr),
    /// A stream of messages, newline-terminated or octet-counted (`<len> <msg>`).
    Tcp(SocketAddr),
}

impl Listen {
    /// Parses `udp://host:port` or `tcp://host:port`.
    pub fn parse(text: &str) -> Result<Listen, String> {
        let bad =
            || format!("[[syslog]] listen {text:?}: expected udp://ADDR:PORT or tcp://ADDR:PORT");
        let (scheme, addr) = text.split_once("://").ok_or_else(bad)?;
        let addr: SocketAddr = addr.parse().map_err(|_| bad())?;
        match scheme {
            "udp" => Ok(Listen::Udp(addr)),
            "tcp" => Ok(Listen::Tcp(addr)),
            _ => Err(bad()),
        }
    }
}
