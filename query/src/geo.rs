//! `iplocation [prefix=P] [allfields=t] [lang=xx] FIELD`: where an IP address is, from a
//! MaxMind-format (GeoIP2/GeoLite2 City) database. This crate does no I/O, so the database
//! is behind a [`Geolocator`] that the indexer opens once from `[geoip] database` and shares
//! between searches; a search without one is refused when it is planned, not at its first row.

use crate::ast::{ArgsCmd, Command};
use crate::plan::{ExecContext, ExecError, Operator, Opts, PlanError};
use crate::row::{text_ref, RowBatch};
use loupe_event::Value;
use std::net::IpAddr;
use std::sync::Arc;

/// What a database knows of one address; a field it lacks is `None` and shows as empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    /// City name in the language asked for (English when it has none in that language).
    pub city: Option<String>,
    /// Country name.
    pub country: Option<String>,
    /// The largest subdivision (state, province, region).
    pub region: Option<String>,
    /// Continent name.
    pub continent: Option<String>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// US metro (DMA) code.
    pub metro_code: Option<u16>,
    /// IANA time zone (`Europe/London`).
    pub timezone: Option<String>,
}

/// A database record could not be read (a damaged or foreign file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("geoip database: {0}")]
pub struct GeoError(pub String);

/// Where IP addresses are; the indexer implements it over a MaxMind-format file.
pub trait Geolocator: Send + Sync {
    /// The location of `ip`, names in `lang` (`en`, `de`, `zh-CN`, …); `None` when the
    /// database has no network holding it (private and reserved ranges among them).
    fn locate(&self, ip: IpAddr, lang: &str) -> Result<Option<Location>, GeoError>;
}

impl std::fmt::Debug for dyn Geolocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Geolocator")
    }
}

/// A stand-in that knows no address: a pipeline is checked with it where no database is at
/// hand and none is needed to tell whether it plans (saved-search validation).
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlocated;

impl Geolocator for Unlocated {
    fn locate(&self, _ip: IpAddr, _lang: &str) -> Result<Option<Location>, GeoError> {
        Ok(None)
    }
}

/// The languages GeoIP2 databases carry names in (Splunk's `lang=` takes the same codes).
pub const LANGUAGES: &[&str] = &["de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"];

/// Builds the `iplocation` operator.
pub(crate) fn build(
    cmd: &Command,
    a: &ArgsCmd,
    ctx: &ExecContext,
) -> Result<Box<dyn Operator>, PlanError> {
    let mut o = Opts::new(cmd, &a.options);
    let prefix = o.take("prefix").unwrap_or_default().to_string();
    let all = o.take_bool("allfields", false)?;
    let lang = o.take("lang").unwrap_or("en").to_string();
    o.done()?;
    if let Some(n) = a.count {
        return Err(PlanError::at(cmd, format!("unexpected number `{n}`")));
    }
    let field = match a.fields.as_slice() {
        [f] => f.clone(),
        _ => return Err(PlanError::at(
            cmd,
            "expects one field holding IP addresses: iplocation [prefix=P] [allfields=t] <field>",
        )),
    };
    if !LANGUAGES.contains(&lang.as_str()) {
        return Err(PlanError::at(
            cmd,
            format!("lang={lang} is not one of {}", LANGUAGES.join(", ")),
        ));
    }
    let geo = ctx.geo.clone().ok_or_else(|| {
        PlanError::at(
            cmd,
            "no IP location database is configured (set `database` in the [geoip] table of loupe.toml)",
        )
    })?;
    let mut names = vec!["City", "Country", "Region", "lat", "lon"];
    if all {
        names.extend(["Continent", "MetroCode", "Timezone"]);
    }
    Ok(Box::new(Iplocation {
        field,
        lang,
        geo,
        outputs: names.iter().map(|n| format!("{prefix}{n}")).collect(),
    }))
}

/// Adds the location fields to every row whose field holds an IP address: empty ones for an
/// address the database does not know, none for a value that is not an address (Splunk's
/// behaviour, so a later `stats count by Country` counts unknown addresses under "").
struct Iplocation {
    field: String,
    lang: String,
    geo: Arc<dyn Geolocator>,
    /// Output names (prefix applied), in the order of [`Iplocation::values`].
    outputs: Vec<String>,
}

impl Iplocation {
    /// The values of the output fields, in the order of `outputs`.
    fn values(&self, loc: Location) -> Vec<Value> {
        let s = |v: Option<String>| Value::Str(v.unwrap_or_default());
        let f = |v: Option<f64>| v.map_or(Value::Str(String::new()), Value::Float);
        let mut out = vec![
            s(loc.city),
            s(loc.country),
            s(loc.region),
            f(loc.lat),
            f(loc.lon),
        ];
        if self.outputs.len() > out.len() {
            out.push(s(loc.continent));
            out.push(
                loc.metro_code
                    .map_or(Value::Str(String::new()), |m| Value::Int(m.into())),
            );
            out.push(s(loc.timezone));
        }
        out
    }
}

impl Operator for Iplocation {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            let ip = match row.get(&self.field) {
                Some(Value::Multi(vs)) => vs.first().and_then(parse_ip),
                Some(v) => parse_ip(v),
                None => None,
            };
            let Some(ip) = ip else { continue };
            let loc = self
                .geo
                .locate(ip, &self.lang)
                .map_err(|e| ExecError::Other(format!("iplocation: {e}")))?
                .unwrap_or_default();
            for (name, value) in self.outputs.iter().zip(self.values(loc)) {
                row.set(name, value);
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// An IPv4 or IPv6 address, blanks around it allowed.
fn parse_ip(v: &Value) -> Option<IpAddr> {
    text_ref(v).trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Row;

    /// One network: 81.2.69.0/24 is London.
    struct OneCity;

    impl Geolocator for OneCity {
        fn locate(&self, ip: IpAddr, lang: &str) -> Result<Option<Location>, GeoError> {
            let IpAddr::V4(v4) = ip else { return Ok(None) };
            Ok((v4.octets()[..3] == [81, 2, 69]).then(|| Location {
                city: Some(
                    if lang == "de" {
                        "London (de)"
                    } else {
                        "London"
                    }
                    .into(),
                ),
                country: Some("United Kingdom".into()),
                region: Some("England".into()),
                lat: Some(51.5142),
                lon: Some(-0.0931),
                timezone: Some("Europe/London".into()),
                ..Location::default()
            }))
        }
    }

    fn run(query: &str, ips: &[&str]) -> Result<Vec<Row>, String> {
        let p = crate::parse(query).map_err(|e| e.to_string())?;
        let ctx = ExecContext {
            geo: Some(Arc::new(OneCity)),
            ..ExecContext::default()
        };
        let rows = ips
            .iter()
            .map(|ip| Row::from_pairs([("ip", Value::Str(ip.to_string()))]))
            .collect();
        crate::plan::run(&p.commands, &ctx, rows)
    }

    #[test]
    fn known_addresses_get_the_location_unknown_ones_empty_fields_and_others_none() {
        let rows = run("| iplocation ip", &["81.2.69.160", "10.1.2.3", "not-an-ip"]).unwrap();
        assert_eq!(rows[0].get("City"), Some(&Value::Str("London".into())));
        assert_eq!(rows[0].get("lat"), Some(&Value::Float(51.5142)));
        assert_eq!(rows[0].get("Timezone"), None, "only with allfields=t");
        assert_eq!(rows[1].get("Country"), Some(&Value::Str(String::new())));
        assert_eq!(rows[2].get("City"), None);
    }

    #[test]
    fn prefix_allfields_and_lang_shape_the_output() {
        let rows = run(
            "| iplocation prefix=geo_ allfields=t lang=de ip",
            &["81.2.69.1"],
        )
        .unwrap();
        assert_eq!(
            rows[0].get("geo_City"),
            Some(&Value::Str("London (de)".into()))
        );
        assert_eq!(
            rows[0].get("geo_Timezone"),
            Some(&Value::Str("Europe/London".into()))
        );
        assert_eq!(rows[0].get("geo_MetroCode"), Some(&Value::Str("".into())));
        assert_eq!(rows[0].get("City"), None);
    }

    #[test]
    fn without_a_database_the_plan_is_refused_naming_the_setting() {
        let p = crate::parse("| iplocation ip").unwrap();
        let err = crate::plan::compile(&p.commands, &ExecContext::default()).unwrap_err();
        assert!(err.message.contains("[geoip]"), "{}", err.message);
        assert!(run("| iplocation lang=xx ip", &[]).is_err());
        assert!(run("| iplocation a b", &[]).is_err());
    }
}
