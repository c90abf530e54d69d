//! The shapes shared by every operation: the two error bodies and the page
//! of a list. Handlers answer these types, so the document and the wire
//! cannot disagree.

use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The JSON API's error: `{"error": {"code", "message", "fields"?}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "invalid", "message": "email is not a valid address", "fields": {"email": "email is not a valid address"}}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `unauthorized`, `forbidden`, `not_found`, `conflict`, `bad_request`, `invalid`, `rate_limited` or `internal`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// With `invalid`: each field at fault and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// The error of the PAUTA-shaped intake doors: `{"ok": false, "error"}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"ok": false, "error": "email: not a valid address", "field": "email"}))]
pub struct PautaErrorBody {
    /// Always false.
    pub ok: bool,
    /// The part at fault and why: `"<part>: <message>"`.
    pub error: String,
    /// The one field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// One page of a list, newest first unless the operation says otherwise.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

// A whole list (`Data<Vec<T>>`, no pages) or one resource, as some routes
// have always answered.
/// An answer under `data`: a whole list, or one resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct Data<T> {
    pub data: T,
}

/// An answer that only says it worked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ok {
    /// Always true.
    pub ok: bool,
}

impl Ok {
    pub const YES: Ok = Ok { ok: true };
}
