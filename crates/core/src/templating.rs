//! User-written message templates (`Hola {{ contact.first_name }}`),
//! rendered with minijinja in a sandbox: no file system, no includes, a fuel
//! limit against runaway loops, and a cap on the output size. Contact data
//! is passed as values, never as template source, so a name typed as
//! `{{ 7*7 }}` stays literal text.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

/// Largest rendered message.
pub const MAX_OUTPUT: usize = 200 * 1024;
/// Largest template source.
pub const MAX_SOURCE: usize = 64 * 1024;

fn environment(escape: AutoEscape) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(50_000));
    env.set_recursion_limit(20);
    // Unknown merge fields render empty (and `default(...)` fills them),
    // rather than failing a send over a typo.
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(move |_| escape.clone());
    env
}

/// Whether `source` is a valid template (for validation on save).
pub fn check(source: &str) -> Result<(), String> {
    if source.len() > MAX_SOURCE {
        return Err(format!("template longer than {MAX_SOURCE} bytes"));
    }
    environment(AutoEscape::None)
        .template_from_str(source)
        .map(|_| ())
        .map_err(describe)
}

/// Renders plain text (SMS, subjects, text bodies).
pub fn render_text(source: &str, ctx: &serde_json::Value) -> Result<String, String> {
    render(source, ctx, AutoEscape::None)
}

/// Renders HTML: every merged value is HTML-escaped.
pub fn render_html(source: &str, ctx: &serde_json::Value) -> Result<String, String> {
    render(source, ctx, AutoEscape::Html)
}

fn render(source: &str, ctx: &serde_json::Value, escape: AutoEscape) -> Result<String, String> {
    check(source)?;
    let env = environment(escape);
    let tmpl = env.template_from_str(source).map_err(describe)?;
    let out = tmpl
        .render(minijinja::Value::from(minijinja::value::Serde(ctx)))
        .map_err(describe)?;
    if out.len() > MAX_OUTPUT {
        return Err(format!("rendered message longer than {MAX_OUTPUT} bytes"));
    }
    Ok(out)
}

fn describe(e: minijinja::Error) -> String {
    match e.line() {
        Some(line) => format!("{} (line {line})", e.detail().unwrap_or("template error")),
        None => e.detail().unwrap_or("template error").to_string(),
    }
}

/// Drops empty strings and nulls from a JSON object tree so `default(...)`
/// applies to blank values as well as missing ones.
pub fn without_blanks(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.into_iter()
                .filter(|(_, v)| !(v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty())))
                .map(|(k, v)| (k, without_blanks(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_fields_with_defaults() {
        let ctx = without_blanks(json!({"contact": {"first_name": "", "company": "Acme"},
            "workspace": {"name": "PAUTA"}}));
        let out = render_text(
            "Hola {{ contact.first_name | default('amigo') }} de {{ contact.company }} · {{ workspace.name }}{{ contact.nope }}",
            &ctx,
        )
        .expect("render");
        assert_eq!(out, "Hola amigo de Acme · PAUTA");
    }

    #[test]
    fn contact_data_is_data_never_code() {
        let ctx =
            json!({"contact": {"first_name": "{{ 7*7 }}", "last_name": "<script>x</script>"}});
        assert_eq!(
            render_text("Hola {{ contact.first_name }}", &ctx).expect("render"),
            "Hola {{ 7*7 }}"
        );
        assert_eq!(
            render_html("<p>{{ contact.last_name }}</p>", &ctx).expect("render"),
            "<p>&lt;script&gt;x&lt;&#x2f;script&gt;</p>"
        );
    }

    #[test]
    fn runaway_templates_stop() {
        let e = render_text(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            &json!({}),
        );
        assert!(e.is_err());
        assert!(check("{% include 'x' %}").is_ok());
        assert!(
            render_text("{% include 'x' %}", &json!({})).is_err(),
            "no loader: includes fail"
        );
        assert!(check("{{ x").is_err());
    }
}
