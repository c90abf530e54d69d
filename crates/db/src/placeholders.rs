//! Placeholder lists for multi-row statements, and how many values one
//! statement binds on each backend (bulk imports, recalculations).

use crate::{Ts, Tx};
use std::fmt::Write as _;
use uuid::Uuid;

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

/// Rows per multi-row statement written with [`Marks`]. Small on purpose:
/// on PostgreSQL a statement whose message grows past a few tens of
/// kilobytes waited ~40 ms each (a TCP delayed acknowledgement; measured,
/// 128 rows of events took 48 ms a statement, 32 rows under 2 ms), and
/// SQLite gains nothing from larger ones once binding is linear.
pub(crate) const STEADY_ROWS: usize = 32;
/// Values per `IN (...)` list written with [`Marks`].
pub(crate) const STEADY_LIST: usize = 512;

/// Splits `len` items into statements of steady sizes: `most` (rounded
/// down to a power of two) while that many are left, then smaller powers
/// of two. A statement's text depends on its number of rows, and each
/// text is prepared once per connection and cached (PostgreSQL parses and
/// plans every new text), so batches of any size reuse at most
/// log2(most) + 1 texts.
pub(crate) fn steady_chunks(len: usize, most: usize) -> Vec<std::ops::Range<usize>> {
    fn floor_pow2(n: usize) -> usize {
        1 << (usize::BITS - 1 - n.max(1).leading_zeros())
    }
    let most = floor_pow2(most);
    let mut out = Vec::new();
    let mut at = 0;
    while at < len {
        let n = floor_pow2((len - at).min(most));
        out.push(at..at + n);
        at += n;
    }
    out
}

/// Placeholders in the order they appear in a statement's text, each bound
/// once, in that order: `$1, $2, ...` on PostgreSQL, anonymous `?` on
/// SQLite. SQLite looks a *named* parameter (`$N`, `?N`) up by scanning
/// the statement's list of names — when parsing each one, and again for
/// each bind (`sqlite3_bind_parameter_name`, which sqlx calls): quadratic
/// in the parameters. An anonymous `?` has no name to look up, so a
/// statement of a thousand values parses and binds in linear time
/// (measured on the activity batch: its 1,000 activities' rows took 15 ms
/// to insert with `$N`, 6 ms with `?`).
pub(crate) struct Marks {
    sqlite: bool,
    next: usize,
}

impl Marks {
    pub(crate) fn new(tx: &Tx) -> Self {
        Self::on(tx.backend())
    }

    pub(crate) fn on(backend: crate::Backend) -> Self {
        Self {
            sqlite: matches!(backend, crate::Backend::Sqlite),
            next: 1,
        }
    }

    /// The next placeholder.
    pub(crate) fn one(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        if self.sqlite {
            "?".to_string()
        } else {
            format!("${n}")
        }
    }

    /// `n` placeholders separated by commas.
    pub(crate) fn list(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n * 4);
        for k in 0..n {
            if k > 0 {
                s.push_str(", ");
            }
            s.push_str(&self.one());
        }
        s
    }

    /// `(...), (...)`: `rows` tuples of `cols` placeholders.
    pub(crate) fn rows(&mut self, rows: usize, cols: usize) -> String {
        let mut s = String::with_capacity(rows * (cols * 4 + 4));
        for r in 0..rows {
            if r > 0 {
                s.push_str(", ");
            }
            s.push('(');
            s.push_str(&self.list(cols));
            s.push(')');
        }
        s
    }
}

/// A value bound to a statement built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Id(Uuid),
    OptId(Option<Uuid>),
    At(Ts),
    Int(i64),
    Text(String),
    Bool(bool),
}

/// The values of a statement built at run time, in placeholder order
/// (`$1`, `$2`, ...; a hundred at most — retention checks, report
/// buckets — so SQLite's named look-up costs nothing here; bulk writes use
/// [`Marks`]).
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub(crate) vals: Vec<Val>,
}

impl Params {
    pub(crate) fn push(&mut self, v: Val) -> String {
        self.vals.push(v);
        format!("${}", self.vals.len())
    }
}

macro_rules! bind_vals {
    ($q:expr, $vals:expr) => {{
        let mut q = $q;
        for v in $vals {
            q = match v {
                $crate::placeholders::Val::Id(u) => q.bind(*u),
                $crate::placeholders::Val::OptId(u) => q.bind(*u),
                $crate::placeholders::Val::At(t) => q.bind(*t),
                $crate::placeholders::Val::Int(i) => q.bind(*i),
                $crate::placeholders::Val::Text(s) => q.bind(s.clone()),
                $crate::placeholders::Val::Bool(b) => q.bind(*b),
            };
        }
        q
    }};
}
pub(crate) use bind_vals;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(placeholder_list(3, 2), "$2, $3, $4");
        assert_eq!(placeholder_rows(2, 2, 1), "($1, $2), ($3, $4)");
    }

    #[test]
    fn steady_chunks_use_powers_of_two() {
        assert!(steady_chunks(0, 128).is_empty());
        assert_eq!(
            steady_chunks(300, 128),
            vec![0..128, 128..256, 256..288, 288..296, 296..300]
        );
        assert_eq!(steady_chunks(5, 100), vec![0..4, 4..5]);
    }

    #[test]
    fn marks_count_on_postgres_and_stay_anonymous_on_sqlite() {
        let mut pg = Marks::on(crate::Backend::Postgres);
        assert_eq!(pg.one(), "$1");
        assert_eq!(pg.rows(2, 2), "($2, $3), ($4, $5)");
        let mut lite = Marks::on(crate::Backend::Sqlite);
        assert_eq!(lite.one(), "?");
        assert_eq!(lite.list(3), "?, ?, ?");
    }
}
