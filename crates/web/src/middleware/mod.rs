//! Cross-cutting request handling: the audit scope, CSRF checks, security headers, metrics,
//! language selection and error pages.

pub mod api_guard;
pub mod audit;
pub mod csrf;
pub mod locale;
pub mod metrics;
pub mod security;
