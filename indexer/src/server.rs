//! `loupe serve`: opens the store, replays the log, starts the pipeline and the HTTP API.

use crate::api::{self, AppState};
use crate::config::{Config, TokenConfig};
use crate::ingest::pipeline::{hostname, Pipeline, PipelineOptions};
use crate::store::{Store, StoreError};
use std::sync::Arc;

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
    let store = Arc::new(Store::open(&cfg.data_dir)?);
    for name in cfg.indexes.keys() {
        store.create_index(name)?;
    }
    let opts = PipelineOptions {
        commit_interval: cfg.commit_interval,
        min_free_disk: cfg.min_free_disk.0,
        retention: cfg.indexes.clone(),
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
    let state = AppState {
        store,
        pipeline: pipeline.clone(),
        tokens: Arc::new(cfg.tokens.clone()),
        config: Arc::new(cfg),
        hostname: hostname(),
    };
    // Printed on stdout so scripts and tests can find the port when listening on :0.
    println!("loupe listening on http://{local}");
    axum::serve(listener, api::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServeError::Http)?;
    let p = pipeline.clone();
    let _ = tokio::task::spawn_blocking(move || p.shutdown()).await;
    Ok(())
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
