//! Per-workspace custom field definitions (text, number, date, select) and
//! the validation of values against them.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
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
    /// JSON null (and an empty string) clears the field.
    pub fn check(&self, value: &serde_json::Value) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
            return Ok(Value::Null);
        }
        let bad = || format!("{}: invalid {} value", self.key, self.kind);
        match self.kind.as_str() {
            "text" => match value {
                Value::String(s) if s.chars().count() <= 2000 => {
                    Ok(Value::String(s.trim().to_string()))
                }
                Value::Number(n) => Ok(Value::String(n.to_string())),
                _ => Err(bad()),
            },
            "number" => {
                let n = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().replace(',', ".").parse::<f64>().ok(),
                    _ => None,
                };
                n.filter(|n| n.is_finite())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(bad)
            }
            "date" => value
                .as_str()
                .and_then(|s| s.trim().parse::<jiff::civil::Date>().ok())
                .map(|d| Value::String(d.to_string()))
                .ok_or_else(|| format!("{}: expected a date like 2026-03-31", self.key)),
            "select" => value
                .as_str()
                .map(str::trim)
                .and_then(|s| self.choices().into_iter().find(|c| c == s))
                .map(Value::String)
                .ok_or_else(|| {
                    format!(
                        "{}: expected one of {}",
                        self.key,
                        self.choices().join(", ")
                    )
                }),
            _ => Err(bad()),
        }
    }
}

/// Validates a map of custom values against the definitions: unknown keys
/// and bad values are errors `(key, message)`.
pub fn validate_values(
    defs: &[FieldDef],
    values: &serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, Vec<(String, String)>> {
    let mut out = serde_json::Map::new();
    let mut errors = Vec::new();
    for (k, v) in values {
        match defs.iter().find(|d| &d.key == k) {
            None => errors.push((k.clone(), format!("{k}: no such custom field"))),
            Some(d) => match d.check(v) {
                Ok(v) => {
                    out.insert(k.clone(), v);
                }
                Err(e) => errors.push((k.clone(), e)),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
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
