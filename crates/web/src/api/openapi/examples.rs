//! Examples for every request body, response and parameter that has no
//! written one, built from its schema: a written `example` on a type or a
//! field wins, then the field's name and format pick a plausible value.
//! Built from the schema, an example always matches it.

use serde_json::{Map, Value, json};
use std::cell::RefCell;

thread_local! {
    /// The component types being expanded, outermost first.
    static IN_PROGRESS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// How deep a schema is followed at most (a type that contains itself
/// stops at its first repetition anyway).
const MAX_DEPTH: usize = 40;

/// Fills the missing examples of every operation of the document.
pub fn fill(doc: &mut Value) {
    let components = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            fill_operation(op, &components);
        }
    }
}

fn fill_operation(op: &mut Value, components: &Value) {
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params {
            if p.get("example").is_some() {
                continue;
            }
            let name = p.get("name").and_then(Value::as_str).map(str::to_string);
            if let Some(schema) = p.get("schema") {
                let ex = example(schema, components, name.as_deref(), 0);
                if let Some(p) = p.as_object_mut() {
                    p.insert("example".into(), ex);
                }
            }
        }
    }
    if let Some(content) = op.pointer_mut("/requestBody/content") {
        fill_content(content, components);
    }
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        for response in responses.values_mut() {
            if let Some(content) = response.get_mut("content") {
                fill_content(content, components);
            }
        }
    }
}

fn fill_content(content: &mut Value, components: &Value) {
    let Some(content) = content.as_object_mut() else {
        return;
    };
    for (media, body) in content.iter_mut() {
        let written = body.get("example").is_some() || body.get("examples").is_some();
        if written || !(media.contains("json") || media.contains("form")) {
            continue;
        }
        let Some(schema) = body.get("schema") else {
            continue;
        };
        let ex = example(schema, components, None, 0);
        if let Some(body) = body.as_object_mut() {
            body.insert("example".into(), ex);
        }
    }
}

/// An example value of `schema`; `name` is the property or parameter it
/// is for, the best hint for a string.
pub fn example(schema: &Value, components: &Value, name: Option<&str>, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(ex) = schema.get("example") {
        return ex.clone();
    }
    if let Some(ex) = schema
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return ex.clone();
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r
            .strip_prefix("#/components/schemas/")
            .and_then(|n| components.get(n).map(|t| (n, t)));
        let Some((type_name, target)) = target else {
            return Value::Null;
        };
        // A type already being expanded on this path: stop the recursion.
        let repeated = IN_PROGRESS.with(|p| p.borrow().iter().any(|n| n == type_name));
        if repeated {
            return Value::Null;
        }
        IN_PROGRESS.with(|p| p.borrow_mut().push(type_name.to_string()));
        let ex = example(target, components, name, depth + 1);
        IN_PROGRESS.with(|p| p.borrow_mut().pop());
        return ex;
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return first.clone();
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for p in parts {
            match example(p, components, name, depth + 1) {
                Value::Object(o) => merged.extend(o),
                other if parts.len() == 1 => return other,
                _ => {}
            }
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let pick = alts
                .iter()
                .find(|a| a.get("type").and_then(Value::as_str) != Some("null"));
            return pick
                .map(|a| example(a, components, name, depth + 1))
                .unwrap_or(Value::Null);
        }
    }
    match schema_type(schema).as_deref() {
        Some("object") => object_example(schema, components, depth),
        Some("array") => {
            let item = schema
                .get("items")
                .map(|i| example(i, components, name.map(singular), depth + 1))
                .unwrap_or(Value::Null);
            if item.is_null() {
                json!([])
            } else {
                json!([item])
            }
        }
        Some("string") => string_example(schema, name),
        Some("integer") => json!(number_hint(schema, name).round() as i64),
        Some("number") => json!(number_hint(schema, name)),
        Some("boolean") => json!(name.is_some_and(|n| n.starts_with("is_") || n == "ok")),
        Some("null") => Value::Null,
        _ if schema.get("properties").is_some() => object_example(schema, components, depth),
        _ => Value::Null,
    }
}

/// The schema's type, the first that is not `null` when it lists several.
fn schema_type(schema: &Value) -> Option<String> {
    match schema.get("type")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_string),
        _ => None,
    }
}

fn object_example(schema: &Value, components: &Value, depth: usize) -> Value {
    let mut out = Map::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (key, prop) in props {
            out.insert(key.clone(), example(prop, components, Some(key), depth + 1));
        }
    }
    if out.is_empty()
        && let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object())
    {
        out.insert(
            "key".into(),
            example(extra, components, Some("value"), depth + 1),
        );
    }
    Value::Object(out)
}

fn singular(name: &str) -> &str {
    name.strip_suffix('s').unwrap_or(name)
}

fn number_hint(schema: &Value, name: Option<&str>) -> f64 {
    let min = schema.get("minimum").and_then(Value::as_f64);
    let max = schema.get("maximum").and_then(Value::as_f64);
    let guess: f64 = match name.unwrap_or_default() {
        "limit" => 50.0,
        n if n.contains("amount") || n.contains("value") || n.contains("price") => 1500.0,
        n if n.contains("minutes") || n.contains("duration") => 30.0,
        n if n.contains("score") || n.contains("points") || n.contains("risk") => 20.0,
        n if n.contains("days") => 14.0,
        _ => 1.0,
    };
    let guess = min.map_or(guess, |m| guess.max(m));
    max.map_or(guess, |m| guess.min(m))
}

fn string_example(schema: &Value, name: Option<&str>) -> Value {
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    let by_format = match format {
        "uuid" => Some("0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60"),
        "date-time" => Some("2026-12-05T15:30:00Z"),
        "date" => Some("2026-12-05"),
        "time" => Some("09:00"),
        "email" => Some("ana@example.com"),
        "uri" | "url" => Some("https://example.com/"),
        "binary" => Some(""),
        _ => None,
    };
    if let Some(s) = by_format {
        return json!(s);
    }
    let name = name.unwrap_or_default();
    let s = match name {
        n if n.ends_with("_id") || n == "id" => "0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60",
        n if n.ends_with("_at") || n == "since" || n == "until" => "2026-12-05T15:30:00Z",
        n if n.contains("email") => "ana@example.com",
        n if n.contains("phone") || n == "to" || n == "from" => "+5215512345678",
        "first_name" => "Ana",
        "last_name" => "García",
        "name" | "contact_name" | "full_name" => "Ana García",
        "company" => "Estudio Nube",
        "currency" => "MXN",
        "time_zone" | "timezone" | "tz" => "America/Mexico_City",
        "locale" | "lang" | "language" => "es",
        "country" => "MX",
        "slug" => "mi-agencia",
        "cursor" | "next_cursor" => "MjAyNi0xMi0wNVQxNTozMDowMFp-MDE5M2E1YjQ",
        "tag" | "tags" => "vip",
        "source" => "facebook",
        "channel" => "whatsapp",
        "subject" => "Tu cita",
        "body" | "message" | "text" | "preview" => "Hola Ana, gracias por escribirnos.",
        n if n.contains("url") || n.contains("link") || n == "href" => "https://example.com/",
        n if n.starts_with("utm_") => "campaña-diciembre",
        _ => "…",
    };
    json!(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_follow_refs_formats_names_and_written_values() {
        let components = json!({
            "Contact": {"type": "object", "properties": {
                "id": {"type": "string", "format": "uuid"},
                "email": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "score": {"type": "integer", "minimum": 0},
                "status": {"type": "string", "enum": ["open", "closed"]},
                "note": {"type": "string", "example": "escrito"},
            }},
        });
        let ex = example(
            &json!({"$ref": "#/components/schemas/Contact"}),
            &components,
            None,
            0,
        );
        assert_eq!(ex["id"], "0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60");
        assert_eq!(ex["email"], "ana@example.com");
        assert_eq!(ex["tags"], json!(["vip"]));
        assert_eq!(ex["score"], 20);
        assert_eq!(ex["status"], "open");
        assert_eq!(ex["note"], "escrito");
        // A type that refers to itself stops.
        let looped = json!({"Node": {"type": "object", "properties": {
            "next": {"$ref": "#/components/schemas/Node"}}}});
        let ex = example(
            &json!({"$ref": "#/components/schemas/Node"}),
            &looped,
            None,
            0,
        );
        assert!(ex.is_object());
    }
}
