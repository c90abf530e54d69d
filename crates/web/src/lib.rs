#![doc = include_str!("../README.md")]

pub mod api;
pub mod assets;
pub mod auth;
pub mod charts;
pub mod error;
pub mod extract;
pub mod health;
pub mod i18n;
pub mod icons;
pub mod intake;
pub mod mail;
pub mod middleware;
pub mod notify_mail;
pub mod pages;
pub mod session_store;
pub mod state;

pub use state::{AppState, WebConfig};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use pages::{messages, public, settings, workspaces};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Largest request body accepted anywhere (logo uploads are the biggest).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    // Install the metrics recorder before the first request is counted.
    middleware::metrics::handle();
    let sessions = SessionManagerLayer::new(session_store::DbSessionStore::new(
        state.db.clone(),
        state.clock.clone(),
    ))
    .with_name("af_session")
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(state.config.secure_cookies)
    .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));

    // Pages used with the session cookie: CSRF-checked.
    let browser = Router::new()
        .route("/", get(public::root))
        .route("/login", get(public::login_page).post(public::login))
        .route("/logout", post(public::logout))
        .route(
            "/password/forgot",
            get(public::forgot_page).post(public::forgot),
        )
        .route(
            "/password/reset/{token}",
            get(public::reset_page).post(public::reset),
        )
        .route(
            "/invite/{token}",
            get(public::invite_page).post(public::accept_invite),
        )
        .route("/messages", get(messages::list_messages))
        .route("/messages/{id}", get(messages::show_message))
        .route("/workspaces/switch", post(workspaces::switch_workspace))
        .route("/workspaces/new", get(workspaces::new_workspace_page))
        .route("/workspaces", post(workspaces::create_workspace))
        .route(
            "/settings",
            get(settings::workspace_settings).post(settings::update_workspace_settings),
        )
        .route("/settings/logo", post(settings::upload_logo))
        .route("/settings/members", get(settings::list_members))
        .route("/settings/members/invite", post(settings::invite_member))
        .route(
            "/settings/members/{user_id}/role",
            post(settings::change_member_role),
        )
        .route(
            "/settings/members/{user_id}/remove",
            post(settings::remove_member),
        )
        .route(
            "/settings/invitations/{id}/revoke",
            post(settings::revoke_invitation),
        )
        .route(
            "/settings/api-keys",
            get(settings::list_api_keys).post(settings::create_api_key),
        )
        .route(
            "/settings/api-keys/{id}/revoke",
            post(settings::revoke_api_key),
        )
        .route(
            "/settings/profile",
            get(settings::profile).post(settings::update_profile),
        )
        .route(
            "/settings/profile/calendar-feed",
            post(settings::save_calendar_feed),
        )
        .route(
            "/settings/profile/calendar-feed/sync",
            post(settings::sync_calendar_feed),
        )
        .route(
            "/settings/profile/calendar-feed/delete",
            post(settings::delete_calendar_feed),
        )
        .route("/language", post(settings::switch_language))
        .route("/search", get(pages::search::search))
        // Each area mounts its own routes (pages/<area>.rs).
        .merge(pages::contacts::routes())
        .merge(pages::conversations::routes())
        .merge(pages::conversations::templates::routes())
        .merge(pages::forms::routes())
        .merge(pages::calendars::routes())
        .merge(pages::forms::settings_routes())
        .merge(pages::board::routes())
        .merge(pages::imports::routes())
        .merge(pages::jobs::routes())
        .merge(pages::automations::routes())
        .merge(pages::channels::routes())
        .merge(pages::webhooks::routes())
        .merge(pages::notifications::routes())
        .merge(pages::reports::routes())
        .merge(pages::audit::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::csrf::verify,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::audit::layer,
        ));

    // Authenticated by API key, never by cookie: no session, no CSRF.
    let api = Router::new()
        .route("/api/v1/workspace", get(api::get_workspace))
        .route("/api/v1/api-keys", get(api::list_api_keys))
        .route("/api/v1/api-keys/{id}", get(api::get_api_key))
        // `POST` on the same path (custom events) is in api::automations.
        .route("/api/v1/events", get(api::events::feed))
        .merge(api::crm::routes())
        .merge(api::scoring::routes())
        .merge(api::automations::routes())
        .merge(api::forms::routes())
        .merge(api::calendars::routes())
        .merge(api::memberships::routes())
        .merge(api::conversations::routes())
        .merge(api::retention::routes())
        .merge(api::reports::routes())
        .merge(api::notifications::routes())
        .merge(api::webhooks::routes())
        .merge(api::audit::routes())
        .route("/api/openapi.json", get(api::openapi::openapi_json))
        .route("/api/docs", get(pages::api_docs::api_docs))
        .route("/api/{*rest}", axum::routing::any(api::api_not_found))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::api_guard::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::audit::layer,
        ));

    // Strangers' browsers and other systems: no session, no CSRF, every
    // byte hostile (size-capped, rate-limited, answered in fixed shapes).
    let intake = Router::new()
        .merge(api::intake::routes())
        .merge(pages::forms::public_routes())
        .merge(pages::booking::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::audit::door,
        ));

    let public_assets = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/assets/{*path}", get(assets::serve_asset))
        .route("/brand/{file}", get(assets::serve_brand))
        .route("/favicon.svg", get(assets::serve_favicon))
        .route("/favicon.ico", get(assets::serve_favicon))
        .route("/w/{slug}/logo", get(settings::workspace_logo));

    // Called by vendors and mail clients: their own authentication (Twilio
    // and SendGrid signatures, Brevo's URL token, signed unsubscribe and
    // tracking tokens), never a session or CSRF token.
    let public_callbacks = Router::new()
        .merge(api::twilio::routes())
        .merge(api::email_events::routes())
        .merge(pages::unsubscribe::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::audit::door,
        ));

    // Every request body is capped at MAX_BODY_BYTES, except inbound email
    // (mail carries files): its own, larger cap.
    let capped = Router::new()
        .merge(browser)
        .merge(intake)
        .merge(api)
        .merge(public_assets)
        .merge(public_callbacks)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let inbound_email = api::inbound_email::routes()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::audit::door,
        ))
        .layer(DefaultBodyLimit::max(api::inbound_email::MAX_INBOUND_BYTES))
        .layer(RequestBodyLimitLayer::new(
            api::inbound_email::MAX_INBOUND_BYTES,
        ));

    Router::new()
        .merge(capped)
        .merge(inbound_email)
        .fallback(|| async { error::AppError::NotFound })
        .layer(axum::middleware::from_fn(middleware::locale::layer))
        .layer(axum::middleware::from_fn(middleware::metrics::track))
        .layer(axum::middleware::from_fn(middleware::security::headers))
        .layer(
            // Span per request with the route template, never the raw URI:
            // reset and invitation links carry secrets in their path.
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let route = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                tracing::info_span!("http", method = %req.method(), route)
            }),
        )
        .layer(CatchPanicLayer::new())
        .with_state(state)
}
