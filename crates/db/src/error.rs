//! The database layer's one error type.

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid database configuration: {0}")]
    Config(String),
    /// The shared commit of a group-committed unit failed, or the unit was
    /// abandoned before it: nothing of the unit was committed.
    #[error("group commit failed: {0}")]
    GroupCommit(String),
}

impl DbError {
    /// The violated unique constraint (PostgreSQL's constraint name, or
    /// SQLite's `table.column` list), so callers can turn it into a field
    /// error instead of a 500.
    pub fn unique_violation(&self) -> Option<String> {
        let DbError::Sqlx(sqlx::Error::Database(e)) = self else {
            return None;
        };
        if !e.is_unique_violation() {
            return None;
        }
        if let Some(c) = e.constraint() {
            return Some(c.to_string());
        }
        // SQLite: "UNIQUE constraint failed: users.email_key"
        let msg = e.message();
        Some(msg.rsplit(": ").next().unwrap_or(msg).to_string())
    }

    /// Whether the violated unique constraint concerns `column` (matches
    /// both backends' spellings, e.g. `workspaces_slug_key` and
    /// `workspaces.slug`).
    pub fn is_unique_on(&self, table: &str, column: &str) -> bool {
        self.unique_violation().is_some_and(|c| {
            c == format!("{table}_{column}_key")
                || c.split(", ").any(|p| p == format!("{table}.{column}"))
        })
    }
}

/// `payload` as stored JSON. Cannot fail for the catalogue's plain
/// structs; reported as the encoding error it would be, never unwrapped.
pub(crate) fn payload_json<P: af_core::jobs::JobPayload>(
    payload: &P,
) -> Result<serde_json::Value, DbError> {
    serde_json::to_value(payload).map_err(|e| DbError::Sqlx(sqlx::Error::Encode(Box::new(e))))
}
