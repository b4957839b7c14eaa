//! `loupe serve`: opens the store, replays the log, starts the pipeline and the HTTP API.

use crate::api::{self, AppState};
use crate::config::{Config, TlsConfig, TokenConfig};
use crate::ingest::pipeline::{hostname, Pipeline, PipelineOptions};
use crate::search::admission::Admission;
use crate::store::{Store, StoreError};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long open connections may take to finish once shutdown began.
const GRACE: Duration = Duration::from_secs(5);

/// Errors that stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Http(std::io::Error),
    /// The metadata file cannot be opened or migrated.
    #[error("metadata: {0}")]
    Meta(String),
    /// A `[[syslog]]` input that cannot start.
    #[error("syslog: {0}")]
    Syslog(String),
    /// `[tls]` files that cannot be used: which one and why, before anything listens.
    #[error("tls: {0}")]
    Tls(String),
    /// The `[geoip] database` cannot be read.
    #[error(transparent)]
    Geoip(#[from] crate::geoip::GeoipError),
}

/// Makes sure ingest has a token: with none configured, one is generated once and kept in the data dir.
pub fn ensure_token(cfg: &mut Config) -> Result<Option<String>, StoreError> {
    if !cfg.tokens.is_empty() {
        return Ok(None);
    }
    let path = cfg.data_dir.join("hec_token");
    let token = match std::fs::read_to_string(&path) {
        Ok(t) if t.trim().len() >= 8 => t.trim().to_string(),
        _ => {
            let t = random_token();
            std::fs::create_dir_all(&cfg.data_dir).map_err(|e| StoreError::io(&cfg.data_dir, e))?;
            std::fs::write(&path, &t).map_err(|e| StoreError::io(&path, e))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
            }
            t
        }
    };
    cfg.tokens.push(TokenConfig {
        name: "default".into(),
        token: token.clone(),
        indexes: None,
        default_index: None,
        disabled: false,
        lookups_read: None,
        lookups_write: None,
        sourcetypes: None,
        max_events_per_second: None,
    });
    Ok(Some(token))
}

/// 128 random bits as hex, from the OS-seeded hasher keys (no extra dependency).
pub fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for i in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Runs the server until Ctrl-C / SIGTERM; everything acknowledged is committed before exit.
pub async fn serve(mut cfg: Config) -> Result<(), ServeError> {
    if let Some(token) = ensure_token(&mut cfg)? {
        tracing::info!(
            "no token configured: HEC token is {token} (kept in {})",
            cfg.data_dir.join("hec_token").display()
        );
    }
    // TLS files are checked before the store opens: a typo fails fast with the file's name.
    let tls = cfg.tls.as_ref().map(rustls_config).transpose()?;
    // Read once, shared by every search (and checked before anything listens).
    let geo = cfg
        .geoip
        .as_ref()
        .map(|g| crate::geoip::MmdbGeolocator::open(&g.database))
        .transpose()?
        .map(|g| Arc::new(g) as Arc<dyn loupe_query::Geolocator>);
    let store = Arc::new(Store::open(&cfg.data_dir)?);
    for name in cfg.indexes.keys() {
        store.create_index(name)?;
    }
    // A `[[syslog]]` index is named in the config, so it exists whatever `auto_create_indexes`.
    for input in &cfg.syslog {
        store.create_index(&input.index)?;
    }
    let meta = Arc::new(
        loupe_meta::MetaStore::open(&cfg.data_dir).map_err(|e| ServeError::Meta(e.to_string()))?,
    );
    let opts = PipelineOptions {
        commit_interval: cfg.commit_interval,
        min_free_disk: cfg.min_free_disk.0,
        queue_bytes: usize::try_from(cfg.ingest_queue.0).unwrap_or(usize::MAX),
        retention: cfg.retention(),
        before_retention: Some(crate::audit::retention_guard(meta.clone())),
        ..Default::default()
    };
    let pipeline = Arc::new(Pipeline::start(store.clone(), opts)?);
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: cfg.listen.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Http)?;
    // Syslog sockets are bound before the server says it listens: a port already taken stops
    // the start with its address, rather than leaving devices talking to nothing.
    let syslog = crate::ingest::syslog::SyslogInputs::start(
        &cfg.syslog,
        pipeline.clone(),
        crate::ingest::syslog::SyslogContext {
            max_event_bytes: cfg.max_event_bytes,
            default_year: cfg.default_year,
            tz: cfg.time_zone(),
        },
    )
    .await
    .map_err(|e| match e {
        crate::ingest::syslog::SyslogError::Bind { addr, source } => {
            ServeError::Listen { addr, source }
        }
        other => ServeError::Syslog(other.to_string()),
    })?;
    let admission = Arc::new(
        Admission::new(&cfg.limits.search).with_user_quota(cfg.limits.abuse.searches_per_user),
    );
    let scheme = if tls.is_some() { "https" } else { "http" };
    let job_ttl = cfg.job_ttl;
    let macros = Arc::new(cfg.macro_table());
    // The config's roles and those made through the API; the API swaps in a new table.
    let roles = Arc::new(parking_lot::RwLock::new(
        crate::roles::load(&cfg, &meta).map_err(|e| ServeError::Meta(e.to_string()))?,
    ));
    let scheduler_role = roles
        .read()
        .get(&cfg.access.scheduler_role)
        .cloned()
        .map(Arc::new)
        .ok_or_else(|| ServeError::Meta(format!("no role {:?}", cfg.access.scheduler_role)))?;
    let audit = Arc::new(
        crate::audit::Auditor::open(&store, pipeline.clone(), meta.clone(), hostname())
            .map_err(ServeError::Meta)?,
    );
    for index in [loupe_alerts::SCHEDULER_INDEX, loupe_alerts::ALERTS_INDEX] {
        store.create_index(index)?;
    }
    let actions = loupe_alerts::ActionConfig {
        email: cfg.email.clone(),
        scripts: cfg.scripts.clone(),
        console_url: cfg
            .console_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{local}")),
        ..loupe_alerts::ActionConfig::default()
    };
    let scheduler = Arc::new(loupe_alerts::Scheduler::new(
        loupe_alerts::SchedulerDeps {
            searcher: Arc::new(crate::schedule::StoreSearcher {
                store: store.clone(),
                admission: admission.clone(),
                limits: cfg.limits.search.clone(),
                macros: macros.clone(),
                objects: Some(crate::search::Objects(meta.clone())),
                geo: geo.clone(),
                role: scheduler_role,
            }),
            state: Arc::new(crate::schedule::MetaState(meta.clone())),
            sink: Arc::new(crate::schedule::IngestSink {
                pipeline: pipeline.clone(),
                store: store.clone(),
                runtime: tokio::runtime::Handle::current(),
                host: hostname(),
            }),
            clock: Arc::new(loupe_alerts::SystemClock),
            sleeper: Arc::new(loupe_alerts::ThreadSleeper),
        },
        loupe_alerts::SchedulerConfig {
            default_timezone: cfg.time_zone(),
            actions,
            ..loupe_alerts::SchedulerConfig::default()
        },
    ));
    let chain_watch = tokio::spawn(
        audit
            .clone()
            .watch_chain(store.clone(), cfg.access.audit_verify_interval),
    );
    // `loupe user add` and `loupe token create` while the server holds the data dir.
    let pending_watch = tokio::spawn(audit.clone().watch_pending(Duration::from_secs(2)));
    let abuse = cfg.limits.abuse.clone();
    let state = AppState {
        store,
        pipeline: pipeline.clone(),
        tokens: Arc::new(cfg.tokens.clone()),
        macros,
        scheduler: scheduler.clone(),
        config: Arc::new(cfg),
        hostname: hostname(),
        admission: admission.clone(),
        jobs: Arc::new(crate::jobs::Jobs::new(job_ttl).audited(audit.clone())),
        meta: meta.clone(),
        in_flight: Default::default(),
        tails_open: Default::default(),
        roles,
        audit,
        quota: Default::default(),
        logins: Arc::new(loupe_access::throttle::LoginThrottle::new(
            abuse.login_failures_per_user,
            abuse.login_window,
        )),
        login_addresses: Arc::new(loupe_access::throttle::LoginThrottle::new(
            abuse.login_failures_per_address,
            abuse.login_window,
        )),
        geo,
    };
    state.reschedule();
    let ticking = scheduler.spawn();
    // On SIGTERM/Ctrl-C: running searches stop at their next check, ingest answers 503
    // code 9, and the open connections get `GRACE` to finish before the log is committed.
    let stopping = {
        let admission = admission.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: stopping searches, refusing new ingest");
            admission.shut_down();
        }
    };
    // Printed on stdout so scripts and tests can find the port when listening on :0.
    println!("loupe listening on {scheme}://{local}");
    // No user yet: the first admin is made through a one-time link, never a default password.
    match crate::api::access::setup_link(&meta) {
        Ok(Some(secret)) => println!(
            "no user yet: create the first admin at {scheme}://{local}/setup?token={secret} (valid once)"
        ),
        Ok(None) => {}
        Err(e) => tracing::error!("cannot make the setup link: {e}"),
    }
    match tls {
        None => {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let server = axum::serve(
                listener,
                api::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                stopping.await;
                let _ = tx.send(());
            });
            // A client that keeps its connection open cannot hold the shutdown past GRACE.
            let deadline = async move {
                let _ = rx.await;
                tokio::time::sleep(GRACE).await;
            };
            tokio::select! {
                r = server => r.map_err(ServeError::Http)?,
                _ = deadline => tracing::warn!("connections still open after {GRACE:?}: closing them"),
            }
        }
        Some(tls) => {
            let handle = axum_server::Handle::new();
            let on_signal = handle.clone();
            tokio::spawn(async move {
                stopping.await;
                on_signal.graceful_shutdown(Some(GRACE));
            });
            let std_listener = listener.into_std().map_err(ServeError::Http)?;
            axum_server::from_tcp_rustls(std_listener, tls)
                .map_err(ServeError::Http)?
                .handle(handle)
                .http1_only()
                .serve(
                    api::router(state)
                        .into_make_service_with_connect_info::<std::net::SocketAddr>(),
                )
                .await
                .map_err(ServeError::Http)?;
        }
    }
    chain_watch.abort();
    pending_watch.abort();
    // What the syslog queue holds is logged before the pipeline stops.
    syslog.stop(GRACE).await;
    let _ = tokio::task::spawn_blocking(move || ticking.stop()).await;
    let p = pipeline.clone();
    let _ = tokio::task::spawn_blocking(move || p.shutdown()).await;
    Ok(())
}

/// The rustls server configuration for `[tls]` (ring, as the forwarder's client uses).
fn rustls_config(tls: &TlsConfig) -> Result<axum_server::tls_rustls::RustlsConfig, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &Path, e: &dyn std::fmt::Display| {
        ServeError::Tls(format!("{}: {e}", path.display()))
    };
    let read_certs = |path: &Path| -> Result<Vec<CertificateDer<'static>>, ServeError> {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(path, &e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(path, &e))?;
        if certs.is_empty() {
            return Err(bad(path, &"no PEM certificate in the file"));
        }
        Ok(certs)
    };
    let certs = read_certs(&tls.cert_file)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key_file).map_err(|e| bad(&tls.key_file, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?;
    let builder = match &tls.client_ca_file {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in read_certs(ca)? {
                roots.add(c).map_err(|e| bad(ca, &e))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| bad(ca, &e))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| bad(&tls.key_file, &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
