//! (live: being built.)
