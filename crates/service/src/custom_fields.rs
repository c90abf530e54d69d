//! Custom field definitions as people create them, shared by the custom
//! fields page (`/contacts/fields`) and the form builder's "new custom
//! field" action, so both apply the same rules: a key of lower-case
//! letters, digits and `_` unique in the workspace, a label, a kind (text,
//! number, date, select) and, for a select, its choices. Values on
//! contacts are checked against the definitions by
//! `af_core::contact_input::check_custom_value`.

use af_core::WorkspaceId;
use af_db::custom_fields::{self as store, FieldDef};
use af_db::{Db, DbError, Ts};

/// The kinds a custom field may have.
pub const KINDS: [&str; 4] = ["text", "number", "date", "select"];
/// Longest key, label and choice; most choices.
pub const MAX_KEY: usize = 40;
pub const MAX_LABEL: usize = 80;
pub const MAX_CHOICE: usize = 80;
pub const MAX_CHOICES: usize = 50;

/// A definition as typed: `options` is the choices of a select, one per
/// line or separated by commas.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewField {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub options: String,
}

/// The part of a [`NewField`] that was refused; each door words it for its
/// readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Key,
    Label,
    Kind,
    Options,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// Nothing was stored.
    #[error("invalid custom field")]
    Invalid(Vec<Part>),
    /// The workspace already has a field with this key.
    #[error("a custom field with this key already exists")]
    KeyTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A checked definition: trimmed key and label, the kind, and the choices
/// of a select (deduplicated, in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidField {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub options: Vec<String>,
}

fn valid_key(key: &str) -> bool {
    (1..=MAX_KEY).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a definition as typed; the refused parts otherwise.
pub fn validate(f: &NewField) -> Result<ValidField, Vec<Part>> {
    let mut errors = Vec::new();
    let key = f.key.trim().to_string();
    if !valid_key(&key) {
        errors.push(Part::Key);
    }
    let label = f.label.trim().to_string();
    if label.is_empty() || label.chars().count() > MAX_LABEL || label.chars().any(char::is_control)
    {
        errors.push(Part::Label);
    }
    let kind = f.kind.trim().to_string();
    if !KINDS.contains(&kind.as_str()) {
        errors.push(Part::Kind);
    }
    let mut options: Vec<String> = Vec::new();
    if kind == "select" {
        for o in f
            .options
            .split([',', '\n'])
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            if !options.iter().any(|x| x == o) {
                options.push(o.to_string());
            }
        }
        let bad = options.is_empty()
            || options.len() > MAX_CHOICES
            || options
                .iter()
                .any(|o| o.chars().count() > MAX_CHOICE || o.chars().any(char::is_control));
        if bad {
            errors.push(Part::Options);
        }
    }
    if errors.is_empty() {
        Ok(ValidField {
            key,
            label,
            kind,
            options,
        })
    } else {
        Err(errors)
    }
}

/// A key for a field labelled `label` that none of `taken` has: the label
/// in lower case without accents, other characters as `_`, starting with
/// a letter (`campo_` is put first otherwise), cut to fit, with `_2`, `_3`…
/// when taken. "Presupuesto mensual (MXN)" → `presupuesto_mensual_mxn`.
pub fn key_from_label(label: &str, taken: &[String]) -> String {
    let mut base = String::new();
    for c in label.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c if c.is_ascii_lowercase() || c.is_ascii_digit() => c,
            _ => '_',
        };
        if c == '_' && (base.is_empty() || base.ends_with('_')) {
            continue;
        }
        base.push(c);
    }
    let mut base = base.trim_end_matches('_').to_string();
    if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
        base = format!("campo_{base}").trim_end_matches('_').to_string();
    }
    // Room for a `_NN` suffix.
    base.truncate(MAX_KEY - 3);
    let base = base.trim_end_matches('_').to_string();
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|k| !taken.contains(k))
        .unwrap_or(base)
}

/// Creates a definition in the workspace and returns it.
pub async fn create_field(
    db: &Db,
    ws: WorkspaceId,
    f: &NewField,
    now: Ts,
) -> Result<FieldDef, CreateError> {
    let v = validate(f).map_err(CreateError::Invalid)?;
    let mut tx = db.begin().await?;
    let id =
        match store::insert_field(&mut tx, ws, &v.key, &v.label, &v.kind, &v.options, now).await {
            Ok(id) => id,
            Err(e) if e.unique_violation().is_some() => return Err(CreateError::KeyTaken),
            Err(e) => return Err(e.into()),
        };
    tx.commit().await?;
    store::list_fields(db, ws)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(CreateError::Db(DbError::NotFound("custom field")))
}

/// Creates a definition whose key is made from its label
/// ([`key_from_label`], unique among the workspace's keys): the form
/// builder asks only for a label, a kind and choices. `f.key` is ignored.
pub async fn create_field_from_label(
    db: &Db,
    ws: WorkspaceId,
    f: &NewField,
    now: Ts,
) -> Result<FieldDef, CreateError> {
    let taken: Vec<String> = store::list_fields(db, ws)
        .await?
        .into_iter()
        .map(|d| d.key)
        .collect();
    let f = NewField {
        key: key_from_label(&f.label, &taken),
        ..f.clone()
    };
    create_field(db, ws, &f, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(key: &str, label: &str, kind: &str, options: &str) -> NewField {
        NewField {
            key: key.into(),
            label: label.into(),
            kind: kind.into(),
            options: options.into(),
        }
    }

    #[test]
    fn definitions_are_checked_part_by_part() {
        assert_eq!(
            validate(&new(" plan ", " Plan ", "select", "Pro, Basic\nPro")),
            Ok(ValidField {
                key: "plan".into(),
                label: "Plan".into(),
                kind: "select".into(),
                options: vec!["Pro".into(), "Basic".into()],
            })
        );
        assert_eq!(
            validate(&new("Plan", "", "file", "")),
            Err(vec![Part::Key, Part::Label, Part::Kind])
        );
        assert_eq!(
            validate(&new("plan", "Plan", "select", " , ")),
            Err(vec![Part::Options])
        );
        assert_eq!(
            validate(&new("plan", "Plan", "text", "ignored"))
                .map(|v| v.options)
                .as_deref(),
            Ok(&[][..])
        );
    }

    #[test]
    fn keys_are_made_from_labels() {
        let none: Vec<String> = vec![];
        assert_eq!(
            key_from_label("Presupuesto mensual (MXN)", &none),
            "presupuesto_mensual_mxn"
        );
        assert_eq!(
            key_from_label("¿Cómo nos conociste?", &none),
            "como_nos_conociste"
        );
        assert_eq!(key_from_label("2º teléfono", &none), "campo_2_telefono");
        assert_eq!(key_from_label("!!!", &none), "campo");
        let taken = vec!["plan".to_string(), "plan_2".to_string()];
        assert_eq!(key_from_label("Plan", &taken), "plan_3");
        let long = key_from_label(&"a".repeat(100), &none);
        assert!(long.len() <= MAX_KEY - 3 && valid_key(&long), "{long}");
    }
}
