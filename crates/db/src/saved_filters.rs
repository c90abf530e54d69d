//! (saved_filters: being built.)
