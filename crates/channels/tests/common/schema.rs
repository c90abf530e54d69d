//! A small checker for the request schemas extracted from the vendors'
//! OpenAPI documents (`tests/fixtures/schemas`, see `extract_schemas.py`):
//! types, required fields, enums, and no property the schema does not
//! define (a typo in a field name would otherwise pass silently).

use serde_json::Value;

pub fn load(name: &str) -> Value {
    let text = match name {
        "sendgrid_mail_send" => include_str!("../fixtures/schemas/sendgrid_mail_send.json"),
        "brevo_send_smtp_email" => include_str!("../fixtures/schemas/brevo_send_smtp_email.json"),
        "twilio_create_message" => include_str!("../fixtures/schemas/twilio_create_message.json"),
        "twilio_create_call" => include_str!("../fixtures/schemas/twilio_create_call.json"),
        other => panic!("no schema {other}"),
    };
    serde_json::from_str(text).expect("schema JSON")
}

fn check(value: &Value, schema: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        errors.push(format!("{path}: {value} not in {options:?}"));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Some(obj) = value.as_object() else {
                errors.push(format!("{path}: expected object, got {value}"));
                return;
            };
            if let Some(req) = schema.get("required").and_then(Value::as_array) {
                for r in req.iter().filter_map(Value::as_str) {
                    if !obj.contains_key(r) {
                        errors.push(format!("{path}: missing required {r}"));
                    }
                }
            }
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in obj {
                    match props.get(k) {
                        Some(s) => check(v, s, &format!("{path}.{k}"), errors),
                        None => errors.push(format!("{path}: unknown property {k}")),
                    }
                }
            }
        }
        Some("array") => match value.as_array() {
            Some(items) => {
                if let Some(s) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        check(item, s, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            None => errors.push(format!("{path}: expected array, got {value}")),
        },
        Some("string") => match value.as_str() {
            None => errors.push(format!("{path}: expected string, got {value}")),
            Some(s) => {
                if schema.get("format").and_then(Value::as_str) == Some("email") && !s.contains('@')
                {
                    errors.push(format!("{path}: not an email: {s}"));
                }
            }
        },
        Some("integer") if !value.is_i64() && !value.is_u64() => {
            errors.push(format!("{path}: expected integer, got {value}"));
        }
        Some("boolean") if !value.is_boolean() => {
            errors.push(format!("{path}: expected boolean, got {value}"));
        }
        _ => {}
    }
}

/// Every mismatch between a JSON body and the named schema.
pub fn json_errors(body: &Value, name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    check(body, &load(name), "$", &mut errors);
    errors
}

/// Panics with every mismatch between a JSON body and the named schema.
pub fn assert_json(body: &Value, name: &str) {
    let errors = json_errors(body, name);
    assert!(errors.is_empty(), "{name}: {errors:#?}\nbody: {body:#}");
}

/// Panics with every mismatch between a form body and the named schema.
pub fn assert_form(pairs: &[(String, String)], name: &str) {
    let errors = form_errors(pairs, name);
    assert!(errors.is_empty(), "{name}: {errors:#?}\nform: {pairs:#?}");
}

/// Every mismatch between a form body and the named schema: only known
/// fields, required ones present, non-array fields at most once.
pub fn form_errors(pairs: &[(String, String)], name: &str) -> Vec<String> {
    let schema = load(name);
    let props = schema["properties"].as_object().expect("form properties");
    let mut errors = Vec::new();
    for r in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !pairs.iter().any(|(k, _)| k == r) {
            errors.push(format!("missing required {r}"));
        }
    }
    for (k, v) in pairs {
        let Some(s) = props.get(k) else {
            errors.push(format!("unknown field {k}"));
            continue;
        };
        let ty = s.get("type").and_then(Value::as_str);
        if ty != Some("array") && pairs.iter().filter(|(k2, _)| k2 == k).count() > 1 {
            errors.push(format!("{k} repeated but not an array"));
        }
        match ty {
            Some("integer") if v.parse::<i64>().is_err() => {
                errors.push(format!("{k}: not an integer: {v}"))
            }
            Some("boolean") if v != "true" && v != "false" => {
                errors.push(format!("{k}: not a boolean: {v}"))
            }
            _ => {}
        }
        if let Some(options) = s.get("enum").and_then(Value::as_array)
            && !options.iter().any(|o| o.as_str() == Some(v))
        {
            errors.push(format!("{k}: {v} not in {options:?}"));
        }
    }
    errors
}
