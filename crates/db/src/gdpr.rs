//! (gdpr: being built.)
