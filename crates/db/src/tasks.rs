//! (tasks: being built.)
