//! (exports: being built.)
