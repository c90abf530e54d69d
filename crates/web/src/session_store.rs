//! tower-sessions store on our own database, so sessions survive restarts
//! and any `serve` node can answer any request. (The published sqlx stores
//! are on older sqlx / tower-sessions lines; see STYLE.md.)

use af_core::{Clock, UserId};
use af_db::{Db, Ts, sessions};
use async_trait::async_trait;
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

/// Session data key holding the signed-in user's id.
pub const USER_KEY: &str = "user_id";

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

fn expiry(record: &Record) -> Result<Ts> {
    let nanos = record.expiry_date.unix_timestamp_nanos();
    jiff::Timestamp::from_nanosecond(nanos)
        .map(Ts::new)
        .map_err(|e| Error::Encode(e.to_string()))
}

fn user_of(record: &Record) -> Option<UserId> {
    record
        .data
        .get(USER_KEY)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn backend(e: af_db::DbError) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl tower_sessions::SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        // A 128-bit random id colliding is near impossible; retry anyway
        // rather than overwrite someone's session.
        loop {
            let inserted = sessions::insert_session(
                &self.db,
                &record.id.to_string(),
                user_of(record),
                &data,
                expiry(record)?,
            )
            .await
            .map_err(backend)?;
            if inserted {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        sessions::upsert_session(
            &self.db,
            &record.id.to_string(),
            user_of(record),
            &data,
            expiry(record)?,
        )
        .await
        .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = Ts::new(self.clock.now());
        let Some(row) = sessions::find_session(&self.db, &id.to_string(), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp_nanos(row.expires_at.0.as_nanosecond())
                .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sessions::delete_session(&self.db, &id.to_string())
            .await
            .map_err(backend)
    }
}
