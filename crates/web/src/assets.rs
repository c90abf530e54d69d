//! Static assets (CSS, vendored JS) embedded in the binary and served under
//! content-hashed names with a year-long immutable cache: a new build changes
//! the name, so browsers never run stale code, and no CDN is involved.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(RustEmbed)]
#[folder = "../../assets/"]
#[include = "dist/*.css"]
#[include = "vendor/*.js"]
#[include = "js/*.js"]
struct Embedded;

/// The hashed URLs of the assets templates link to.
#[derive(Debug)]
pub struct AssetUrls {
    pub css: String,
    pub htmx: String,
    pub alpine: String,
    pub sortable: String,
    pub app: String,
}

struct Table {
    /// hashed name (as requested) → embedded path
    by_hashed: HashMap<String, String>,
    /// embedded path → hashed URL
    url_of: HashMap<String, String>,
    urls: AssetUrls,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut by_hashed = HashMap::new();
        let mut url_of = HashMap::new();
        for path in Embedded::iter() {
            let Some(file) = Embedded::get(&path) else {
                continue;
            };
            let hash = hex::encode(&Sha256::digest(&file.data)[..5]);
            let hashed = match path.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                None => format!("{path}.{hash}"),
            };
            url_of.insert(path.to_string(), format!("/assets/{hashed}"));
            by_hashed.insert(hashed, path.to_string());
        }
        let url = |p: &str| {
            url_of
                .get(p)
                .cloned()
                .unwrap_or_else(|| format!("/assets/missing/{p}"))
        };
        let urls = AssetUrls {
            css: url("dist/app.css"),
            htmx: url("vendor/htmx-2.0.11.min.js"),
            alpine: url("vendor/alpine-csp-3.17.4.min.js"),
            sortable: url("vendor/sortable-1.15.7.min.js"),
            app: url("js/app.js"),
        };
        Table {
            by_hashed,
            url_of,
            urls,
        }
    })
}

/// URLs for templates.
pub fn urls() -> &'static AssetUrls {
    &table().urls
}

/// The hashed URL of any embedded asset, e.g. an area's script
/// (`"js/forms.js"`).
pub fn url_of(path: &str) -> String {
    table()
        .url_of
        .get(path)
        .cloned()
        .unwrap_or_else(|| format!("/assets/missing/{path}"))
}

/// `GET /assets/{*path}`: only hashed names are served.
pub async fn serve_asset(Path(path): Path<String>) -> Response {
    let Some(real) = table().by_hashed.get(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(file) = Embedded::get(real) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = match real.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        file.data.into_owned(),
    )
        .into_response()
}

/// The product's icon (an SVG, which every current browser takes as a
/// favicon): `GET /favicon.svg`, and `/favicon.ico` for browsers and tools
/// that ask for that name without reading the page.
pub async fn serve_favicon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        include_str!("../../../assets/brand/favicon.svg"),
    )
        .into_response()
}

/// The stylesheet that gives a workspace its brand colour:
/// `/brand/{hex}.css` answers `:root { --brand: #hex }`. A stylesheet from
/// our own origin, not a `style` attribute, so the CSP needs no
/// `'unsafe-inline'` for styles. Only 3 or 6 hex digits are accepted.
pub async fn serve_brand(Path(file): Path<String>) -> Response {
    let hex = file.strip_suffix(".css").unwrap_or("");
    if !matches!(hex.len(), 3 | 6) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        format!(":root{{--brand:#{}}}", hex.to_ascii_lowercase()),
    )
        .into_response()
}

/// The brand stylesheet's path for a colour as stored (`#0f766e`); the
/// default colour when it is not plain hex.
pub fn brand_css_path(color: &str) -> String {
    let hex = color.trim().trim_start_matches('#');
    if matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("/brand/{}.css", hex.to_ascii_lowercase())
    } else {
        "/brand/4f46e5.css".into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_linked_asset_is_embedded() {
        let u = super::urls();
        for url in [&u.css, &u.htmx, &u.alpine, &u.sortable, &u.app] {
            assert!(!url.contains("/missing/"), "{url} is not embedded");
        }
    }
}
