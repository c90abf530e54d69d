//! (notes: being built.)
