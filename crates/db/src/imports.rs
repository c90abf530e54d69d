//! (imports: being built.)
