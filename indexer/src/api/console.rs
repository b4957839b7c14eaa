//! The browser console (`web/`, built into `web/dist` by `make web`), embedded in the binary so
//! one `loupe` serves everything. Assets are content-addressed by Vite (`/assets/index-HASH.js`):
//! they are cached for a year; the page itself is revalidated by its ETag. Every answer carries
//! a Content-Security-Policy that allows no inline script and no other origin, so event text —
//! which the console only ever sets as text — could not run even if it were injected.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "../web/dist"]
struct Assets;

/// What the console may load: itself only; CodeMirror and uPlot set inline styles.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn hardened(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

fn file(path: &str, headers: &HeaderMap) -> Option<Response> {
    let asset = Assets::get(path)?;
    let etag = format!(
        "\"{}\"",
        asset
            .metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = asset.metadata.mimetype().to_string();
        (
            [(header::CONTENT_TYPE, mime)],
            Body::from(asset.data.into_owned()),
        )
            .into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(hardened(resp))
}

/// `GET /assets/*`: the bundle's files.
pub async fn asset(
    axum::extract::Path(rest): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    file(&format!("assets/{rest}"), &headers)
        .unwrap_or_else(|| hardened((StatusCode::NOT_FOUND, "no such asset").into_response()))
}

/// The console's pages (`/`, `/search`, `/saved`, `/alerts`, `/dashboards/…`): the one page
/// of the app, which routes in the browser.
pub async fn page(headers: HeaderMap) -> Response {
    file("index.html", &headers).unwrap_or_else(|| {
        hardened(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the console was not built into this binary: run `make web`",
            )
                .into_response(),
        )
    })
}
