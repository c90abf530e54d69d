//! Per-workspace custom field definitions (text, number, date, select) and
//! the validation of values against them.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::contact_input::{self, CustomFieldDef};
use af_core::{FieldId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct FieldDef {
    #[sqlx(try_from = "Uuid")]
    pub id: FieldId,
    /// Machine name used in the API and templates (`{{ contact.custom.key }}`).
    pub key: String,
    pub label: String,
    /// text, number, date or select.
    pub kind: String,
    /// JSON array of choices (select only).
    pub options: String,
    pub position: i32,
}

impl FieldDef {
    pub fn choices(&self) -> Vec<String> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }

    /// Checks and normalises one value; `Err` is a message naming the field.
    /// JSON null (and an empty string) clears the field. The rule is the
    /// contact validator's ([`af_core::contact_input::check_custom_value`]).
    pub fn check(&self, value: &serde_json::Value) -> Result<serde_json::Value, String> {
        contact_input::check_custom_value(self, value)
    }
}

impl CustomFieldDef for FieldDef {
    fn key(&self) -> &str {
        &self.key
    }

    fn kind(&self) -> &str {
        &self.kind
    }

    fn choices(&self) -> Vec<String> {
        FieldDef::choices(self)
    }
}

/// Validates a map of custom values against the definitions: unknown keys
/// and bad values are errors `(key, message)`.
pub fn validate_values(
    defs: &[FieldDef],
    values: &serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, Vec<(String, String)>> {
    contact_input::check_custom_values(defs, values)
}

pub async fn list_fields(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<FieldDef>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, FieldDef>(
            "SELECT id, key, label, kind, options, position FROM custom_fields WHERE workspace_id = $1 ORDER BY position, key",
        )
        .bind(ws.0)
        .fetch_all(p)
        .await?
    }))
}

/// Creates a definition; the key must be unique in the workspace (the
/// caller validates key, label, kind and options).
pub async fn insert_field(
    tx: &mut Tx,
    ws: WorkspaceId,
    key: &str,
    label: &str,
    kind: &str,
    options: &[String],
    now: Ts,
) -> DbResult<FieldId> {
    let id = FieldId::new();
    with_tx!(tx, c => {
        let position: i32 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM custom_fields WHERE workspace_id = $1")
            .bind(ws.0).fetch_one(&mut *c).await?;
        sqlx::query(
            "INSERT INTO custom_fields (id, workspace_id, key, label, kind, options, position, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0).bind(ws.0).bind(key).bind(label).bind(kind)
        .bind(serde_json::to_string(options).unwrap_or_else(|_| "[]".into())).bind(position).bind(now)
        .execute(&mut *c).await?;
    });
    Ok(id)
}

/// The text field `key`, created (labelled `label`) when the workspace has
/// none: intake channels that carry a known extra value (the PAUTA
/// `servicio`) keep it in a real field. Safe against a concurrent creation.
pub async fn ensure_text_field(
    tx: &mut Tx,
    ws: WorkspaceId,
    key: &str,
    label: &str,
    now: Ts,
) -> DbResult<FieldDef> {
    with_tx!(tx, c => {
        let position: i32 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM custom_fields WHERE workspace_id = $1")
            .bind(ws.0).fetch_one(&mut *c).await?;
        sqlx::query(
            "INSERT INTO custom_fields (id, workspace_id, key, label, kind, options, position, created_at)
             VALUES ($1, $2, $3, $4, 'text', '[]', $5, $6)
             ON CONFLICT (workspace_id, key) DO NOTHING",
        )
        .bind(Uuid::now_v7()).bind(ws.0).bind(key).bind(label).bind(position).bind(now)
        .execute(&mut *c).await?;
        sqlx::query_as::<_, FieldDef>(
            "SELECT id, key, label, kind, options, position FROM custom_fields WHERE workspace_id = $1 AND key = $2",
        )
        .bind(ws.0).bind(key).fetch_one(&mut *c).await.map_err(crate::DbError::from)
    })
}

/// Deletes a definition of this workspace; false when there is none.
pub async fn delete_field(tx: &mut Tx, ws: WorkspaceId, id: FieldId) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("DELETE FROM custom_fields WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?.rows_affected()
    }) > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: &str, options: &str) -> FieldDef {
        FieldDef {
            id: FieldId::new(),
            key: "k".into(),
            label: "K".into(),
            kind: kind.into(),
            options: options.into(),
            position: 1,
        }
    }

    #[test]
    fn values_are_checked_by_kind() {
        use serde_json::json;
        assert_eq!(def("number", "[]").check(&json!("12,5")), Ok(json!(12.5)));
        assert!(def("number", "[]").check(&json!("doce")).is_err());
        assert_eq!(
            def("date", "[]").check(&json!("2026-03-31")),
            Ok(json!("2026-03-31"))
        );
        assert!(def("date", "[]").check(&json!("31/03/2026")).is_err());
        assert_eq!(
            def("select", r#"["Web","SEO"]"#).check(&json!("SEO")),
            Ok(json!("SEO"))
        );
        assert!(
            def("select", r#"["Web","SEO"]"#)
                .check(&json!("Ads"))
                .is_err()
        );
        assert_eq!(def("text", "[]").check(&json!("")), Ok(json!(null)));
        let defs = vec![def("text", "[]")];
        let mut m = serde_json::Map::new();
        m.insert("nope".into(), json!("x"));
        assert!(validate_values(&defs, &m).is_err());
    }
}
