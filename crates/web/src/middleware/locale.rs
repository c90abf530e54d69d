//! Picks the language for requests without a signed-in user (`?lang=`, the
//! `af_lang` cookie, `Accept-Language`, then Spanish) and renders error
//! responses as pages in that language.

use crate::error::ErrorPage;
use crate::i18n::tr;
use crate::pages::public::{ErrorTemplate, PublicPage};
use crate::state::RequestLocale;
use af_core::Locale;
use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

pub const LANG_COOKIE: &str = "af_lang";

fn from_query(req: &Request) -> Option<Locale> {
    req.uri()
        .query()?
        .split('&')
        .find_map(|p| p.strip_prefix("lang="))
        .and_then(|v| v.parse().ok())
}

fn from_cookie(req: &Request) -> Option<Locale> {
    chosen_language(req.headers())
}

/// The language a visitor picked explicitly (the `af_lang` cookie set by
/// `?lang=` or by the language switch), if any.
pub fn chosen_language(headers: &axum::http::HeaderMap) -> Option<Locale> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .find_map(|kv| kv.trim().strip_prefix("af_lang="))
                .and_then(|v| v.parse().ok())
        })
}

pub async fn layer(mut req: Request, next: Next) -> Response {
    let chosen = from_query(&req);
    let locale = chosen
        .or_else(|| from_cookie(&req))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default();
    req.extensions_mut().insert(RequestLocale(locale));
    let is_api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if let Some(lang) = chosen
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={lang}; Path=/; Max-Age=31536000; SameSite=Lax"
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    if !is_api && let Some(page) = res.extensions().get::<ErrorPage>().cloned() {
        return render_error(res, page, locale);
    }
    res
}

fn render_error(res: Response, page: ErrorPage, locale: Locale) -> Response {
    let t = tr(locale);
    let (title, message) = match page {
        ErrorPage::NotFound => (t.title_not_found, t.err_not_found.to_string()),
        ErrorPage::Forbidden => (t.title_forbidden, t.err_forbidden.to_string()),
        ErrorPage::BadRequest(m) => (t.title_bad_request, m),
        ErrorPage::TooManyRequests => (t.title_too_many, t.err_too_many_attempts.to_string()),
        ErrorPage::Csrf => (t.title_forbidden, t.err_csrf.to_string()),
        ErrorPage::Internal => (t.title_error, t.err_generic.to_string()),
    };
    let tmpl = ErrorTemplate {
        page: PublicPage::bare(locale),
        title: title.to_string(),
        message,
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    match tmpl.render() {
        Ok(html) => (parts, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (parts, title.to_string()).into_response()
        }
    }
}
