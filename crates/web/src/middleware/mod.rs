//! Cross-cutting request handling: CSRF checks, security headers, metrics,
//! language selection and error pages.

pub mod csrf;
pub mod locale;
pub mod metrics;
pub mod security;
