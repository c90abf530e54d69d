//! Placeholder lists for multi-row statements, and how many values one
//! statement binds on each backend (bulk imports, recalculations).

use crate::Tx;
use std::fmt::Write as _;

/// Values bound per statement. PostgreSQL takes up to 65,535 and each
/// statement is a round trip, so statements are large there. SQLite runs
/// in process (a statement costs no round trip), and binding is quadratic
/// in the number of parameters (`sqlite3_bind_parameter_name`, which sqlx
/// calls for each `$N`, scans the statement's parameter list): measured, a
/// 500-row contact insert (17,500 values) took ~1 s, six times the whole
/// per-row path; at ~1,000 values a statement binds in well under a
/// millisecond.
pub(crate) fn max_binds(tx: &Tx) -> usize {
    match tx.backend() {
        crate::Backend::Sqlite => 1_000,
        crate::Backend::Postgres => 30_000,
    }
}

/// `$first, $first+1, ...` (`n` placeholders).
pub(crate) fn placeholder_list(n: usize, first: usize) -> String {
    let mut s = String::with_capacity(n * 6);
    for k in 0..n {
        if k > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "${}", first + k);
    }
    s
}

/// `($first, ...), (...)`: `rows` tuples of `cols` placeholders.
pub(crate) fn placeholder_rows(rows: usize, cols: usize, first: usize) -> String {
    let mut s = String::with_capacity(rows * (cols * 7 + 4));
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        s.push_str(&placeholder_list(cols, first + r * cols));
        s.push(')');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(placeholder_list(3, 2), "$2, $3, $4");
        assert_eq!(placeholder_rows(2, 2, 1), "($1, $2), ($3, $4)");
    }
}
