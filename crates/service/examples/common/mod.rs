//! What the benchmark examples share: sizes from the environment,
//! medians and percentiles, a repeatable random source, and contacts
//! seeded through the CSV importer. (Each example uses a part of it.)
#![allow(dead_code)]

use af_core::{Actor, ContactId, ManualClock, WorkspaceId};
use af_db::imports::{self, ImportOptions, ImportReport};
use af_db::{Db, Ts, with_pool};
use std::time::Duration;

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn median(v: Vec<Duration>) -> Duration {
    percentile(v, 50)
}

/// The `p`-th percentile (nearest rank below).
pub fn percentile(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// xorshift: the same data on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `n` contacts (`{prefix}{i}@example.com`) through the CSV importer, as
/// an agency's import would write them; their ids.
pub async fn seed_contacts(
    db: &Db,
    ws: WorkspaceId,
    n: usize,
    prefix: &str,
    now: Ts,
) -> Vec<ContactId> {
    let mut csv = String::from("email\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}{i}@example.com\n"));
    }
    let mapping = vec![af_core::csv_io::Field::Email];
    let mut tx = db.begin().await.expect("tx");
    let id = imports::insert_import(
        &mut tx,
        ws,
        "bench.csv",
        imports::status::RUNNING,
        n,
        &ImportReport::default(),
        None,
        now,
    )
    .await
    .expect("import row");
    tx.commit().await.expect("commit");
    let opts = ImportOptions {
        fire_triggers: false,
        country: "MX".into(),
        actor: Actor::system(),
    };
    let clock = ManualClock::new(now.0);
    let done = imports::run_import(
        db,
        ws,
        id,
        csv.as_bytes(),
        &mapping,
        &opts,
        &clock,
        &mut |_| {},
    )
    .await
    .expect("import");
    assert_eq!(done.created_rows as usize, n);
    with_pool!(db, p => {
        sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM contacts WHERE workspace_id = $1")
            .bind(ws.0).fetch_all(p).await.expect("ids")
    })
    .into_iter()
    .map(ContactId)
    .collect()
}

/// Rows of `cols` values through plain multi-row inserts, 100 rows a
/// statement, one transaction per 10,000 rows.
pub async fn insert_rows<F>(db: &Db, table_cols: &str, cols: usize, n: usize, mut row: F)
where
    F: FnMut(usize) -> Vec<Val>,
{
    let sqlite = matches!(db.backend(), af_db::Backend::Sqlite);
    let mut at = 0;
    while at < n {
        let mut tx = db.begin().await.expect("tx");
        let end = (at + 10_000).min(n);
        while at < end {
            let k = (end - at).min(100);
            let mut sql = format!("INSERT INTO {table_cols} VALUES ");
            for i in 0..k {
                if i > 0 {
                    sql.push(',');
                }
                let marks: Vec<String> = (1..=cols)
                    .map(|c| {
                        if sqlite {
                            "?".into()
                        } else {
                            format!("${}", i * cols + c)
                        }
                    })
                    .collect();
                sql.push_str(&format!("({})", marks.join(", ")));
            }
            let rows: Vec<Vec<Val>> = (at..at + k).map(&mut row).collect();
            af_db::with_tx!(tx, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for r in &rows {
                    for v in r {
                        q = match v {
                            Val::Id(u) => q.bind(*u),
                            Val::At(t) => q.bind(*t),
                            Val::OptAt(t) => q.bind(*t),
                            Val::Text(s) => q.bind(s.clone()),
                            Val::OptText(s) => q.bind(s.clone()),
                            Val::Int(i) => q.bind(*i),
                            Val::Bool(b) => q.bind(*b),
                        };
                    }
                }
                q.execute(&mut *c).await.expect("insert");
            });
            at += k;
        }
        tx.commit().await.expect("commit");
    }
}

/// A value of a seeded row.
pub enum Val {
    Id(uuid::Uuid),
    At(Ts),
    OptAt(Option<Ts>),
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Bool(bool),
}
