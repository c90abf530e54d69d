//! `GET /api/docs`: the API reference, rendered on the server from the
//! OpenAPI document (`api::openapi`), in the reader's language. No
//! third-party script and no inline style or script, so it is served under
//! the same strict Content-Security-Policy as every page; the only script
//! is ours and only adds the copy buttons.

use crate::api::openapi;
use crate::assets;
use crate::i18n::api_docs::ApiDocsTr;
use crate::state::{AppState, RequestLocale};
use af_core::Locale;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::State;
use serde_json::Value;

/// One resource (an OpenAPI tag) and its operations.
pub struct TagView {
    pub anchor: String,
    pub name: String,
    pub description: String,
    pub operations: Vec<OperationView>,
}

pub struct OperationView {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub auth: &'static str,
    pub params: Vec<ParamView>,
    pub body: Option<BodyView>,
    pub responses: Vec<ResponseView>,
    pub curl: String,
}

pub struct ParamView {
    pub name: String,
    pub located: &'static str,
    pub required: bool,
    pub kind: String,
    pub description: String,
}

pub struct BodyView {
    pub media: String,
    pub fields: Vec<ParamView>,
    pub example: String,
}

pub struct ResponseView {
    pub status: String,
    pub description: String,
    pub example: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "api_docs.html")]
pub struct ApiDocsTemplate {
    pub t: &'static ApiDocsTr,
    pub lang: &'static str,
    pub css: String,
    pub script: String,
    pub title: String,
    pub intro: String,
    pub tags: Vec<TagView>,
}

pub async fn api_docs(
    State(st): State<AppState>,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
) -> ApiDocsTemplate {
    let doc = openapi::document(locale);
    let t = ApiDocsTr::get(locale);
    ApiDocsTemplate {
        t,
        lang: locale.as_str(),
        css: assets::urls().css.clone(),
        script: assets::url_of("js/api_docs.js"),
        title: t.title.to_string(),
        intro: doc
            .pointer("/info/description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        tags: tag_views(doc, &st.config.base_url, t, locale),
    }
}

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// The document grouped by tag, in the order the tags are declared, with
/// untagged operations last.
pub fn tag_views(doc: &Value, base: &str, t: &'static ApiDocsTr, locale: Locale) -> Vec<TagView> {
    let mut tags: Vec<TagView> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|tag| {
            let name = text(tag, "name");
            TagView {
                anchor: anchor(&name),
                description: text(tag, "description"),
                name,
                operations: Vec::new(),
            }
        })
        .collect();
    let other = if locale == Locale::En {
        "Other"
    } else {
        "Otros"
    };
    let components = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let paths = doc.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let view = operation_view(path, method, op, &components, base, t);
            let tag = op
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or(other)
                .to_string();
            match tags.iter_mut().find(|v| v.name == tag) {
                Some(v) => v.operations.push(view),
                None => tags.push(TagView {
                    anchor: anchor(&tag),
                    name: tag,
                    description: String::new(),
                    operations: vec![view],
                }),
            }
        }
    }
    tags.retain(|t| !t.operations.is_empty());
    tags
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn anchor(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn operation_view(
    path: &str,
    method: &str,
    op: &Value,
    components: &Value,
    base: &str,
    t: &'static ApiDocsTr,
) -> OperationView {
    let params: Vec<ParamView> = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| ParamView {
            name: text(p, "name"),
            located: match p.get("in").and_then(Value::as_str) {
                Some("path") => t.in_path,
                Some("header") => t.in_header,
                _ => t.in_query,
            },
            required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
            kind: p
                .get("schema")
                .map(|s| type_text(s, components))
                .unwrap_or_default(),
            description: text(p, "description"),
        })
        .collect();
    let body = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        .and_then(|c| c.iter().next())
        .map(|(media, content)| BodyView {
            media: media.clone(),
            fields: content
                .get("schema")
                .map(|s| fields_of(s, components))
                .unwrap_or_default(),
            example: content.get("example").map(pretty).unwrap_or_default(),
        });
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, r)| ResponseView {
            status: status.clone(),
            description: text(r, "description"),
            example: r
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.values().next())
                .and_then(|c| c.get("example"))
                .map(pretty),
        })
        .collect();
    let security = op.get("security").and_then(Value::as_array);
    let auth = match security {
        Some(s) if s.iter().any(|r| r.get("intake_key").is_some()) => t.auth_intake,
        Some(s) if !s.is_empty() => t.auth_key,
        _ => t.auth_none,
    };
    let summary = text(op, "summary");
    OperationView {
        anchor: text(op, "operationId"),
        method: method.to_uppercase(),
        path: path.to_string(),
        description: text(op, "description"),
        auth,
        curl: curl(base, path, method, op, body.as_ref(), auth == t.auth_key),
        summary,
        params,
        body,
        responses,
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A schema as a short type: `string (uuid)`, `integer`, `[Contact]`,
/// `open | closed`.
pub fn type_text(schema: &Value, components: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        // Plain aliases (ids, instants, enums) read better as what they are.
        if let Some(target) = components.get(name)
            && target.get("properties").is_none()
        {
            return type_text(target, components);
        }
        return name.to_string();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = alts
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .map(|a| type_text(a, components))
                .collect();
            return parts.join(" | ");
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".to_string(),
    };
    if ty == "array" {
        let item = schema
            .get("items")
            .map(|i| type_text(i, components))
            .unwrap_or_default();
        return format!("[{item}]");
    }
    match schema.get("format").and_then(Value::as_str) {
        Some(f) if !f.starts_with("int") && f != "double" && f != "float" => {
            format!("{ty} ({f})")
        }
        _ => ty,
    }
}

/// The top-level fields of a body schema, for the table.
fn fields_of(schema: &Value, components: &Value) -> Vec<ParamView> {
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => components
            .get(r.rsplit('/').next().unwrap_or(r))
            .cloned()
            .unwrap_or(Value::Null),
        None => schema.clone(),
    };
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    resolved
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, prop)| ParamView {
            name: name.clone(),
            located: "",
            required: required.contains(&name.as_str()),
            kind: type_text(prop, components),
            description: text(prop, "description"),
        })
        .collect()
}

/// A cURL command for the operation, with example values.
fn curl(
    base: &str,
    path: &str,
    method: &str,
    op: &Value,
    body: Option<&BodyView>,
    needs_key: bool,
) -> String {
    let mut url = path.to_string();
    let mut query = Vec::new();
    for p in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = text(p, "name");
        let value = match p.get("example") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        match p.get("in").and_then(Value::as_str) {
            Some("path") => url = url.replace(&format!("{{{name}}}"), &value),
            Some("query") if p.get("required").and_then(Value::as_bool) == Some(true) => {
                query.push(format!("{name}={}", urlencoding::encode(&value)));
            }
            _ => {}
        }
    }
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }
    let mut cmd = format!("curl -X {} \"{base}{url}\"", method.to_uppercase());
    if needs_key {
        cmd.push_str(" \\\n  -H \"Authorization: Bearer $AGENCYFLOW_API_KEY\"");
    }
    if let Some(b) = body
        && !b.example.is_empty()
    {
        if b.media.contains("json") {
            cmd.push_str(" \\\n  -H \"Content-Type: application/json\"");
            let compact = serde_json::from_str::<Value>(&b.example)
                .map(|v| v.to_string())
                .unwrap_or_default();
            cmd.push_str(&format!(" \\\n  -d '{}'", compact.replace('\'', "'\\''")));
        } else if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&b.example) {
            for (k, v) in fields {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                cmd.push_str(&format!(
                    " \\\n  --data-urlencode '{k}={}'",
                    v.replace('\'', "'\\''")
                ));
            }
        }
    }
    cmd
}
