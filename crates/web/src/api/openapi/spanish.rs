//! The Spanish text of the document. Annotations are written in English
//! (the language of the code); each API module keeps, next to its handlers,
//! a `SPANISH` table of `(English, Spanish)` for every summary and
//! description it writes, and the shared ones live here. A test lists any
//! text without its Spanish so none slips through.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Texts written by the shared parts of the document (`mod.rs`, `schemas`).
pub const SHARED: &[(&str, &str)] = &[
    (
        "An answer under `data`: a whole list, or one resource.",
        "Una respuesta bajo `data`: una lista completa o un recurso.",
    ),
    (
        "Any unique text (1–255 visible ASCII characters): a retry with the same key and body within 24 hours gets the first answer instead of acting twice; the same key with another body is refused.",
        "Cualquier texto único (1–255 caracteres ASCII visibles): un reintento con la misma clave y el mismo cuerpo en 24 horas recibe la primera respuesta en lugar de actuar dos veces; la misma clave con otro cuerpo se rechaza.",
    ),
    (
        "A UTC instant (RFC 3339).",
        "Un instante en UTC (RFC 3339).",
    ),
    (
        "The JSON API of AgencyFlow: contacts, deals, workflows, calendars, conversations and the rest of a workspace, plus the doors that take leads in. Authenticate with a workspace API key (Settings → API keys) sent as `Authorization: Bearer <key>` or `X-Api-Key: <key>`. Lists are paged by `limit` (1–500) and `cursor` (the `next_cursor` of the previous page). Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`.",
        "La API JSON de AgencyFlow: contactos, negocios, automatizaciones, calendarios, conversaciones y el resto de un espacio de trabajo, más las puertas por las que entran los leads. Autentícate con una clave de API del espacio (Configuración → Claves de API) enviada como `Authorization: Bearer <clave>` o `X-Api-Key: <clave>`. Las listas se paginan con `limit` (1–500) y `cursor` (el `next_cursor` de la página anterior). Los errores son `{\"error\": {\"code\", \"message\", \"fields\"}}`.",
    ),
    (
        "A workspace API key: `Authorization: Bearer af_live_…` (Settings → API keys).",
        "Una clave de API del espacio: `Authorization: Bearer af_live_…` (Configuración → Claves de API).",
    ),
    (
        "The same workspace API key in the `X-Api-Key` header.",
        "La misma clave de API del espacio en la cabecera `X-Api-Key`.",
    ),
    (
        "The workspace's intake key (Settings → Intake): it can only create leads, so it may sit in a landing page.",
        "La clave de captación del espacio (Configuración → Captación): solo crea leads, así que puede ir en una landing page.",
    ),
    (
        "Malformed request: bad JSON, a wrong type or an unknown parameter.",
        "Petición mal formada: JSON inválido, un tipo equivocado o un parámetro desconocido.",
    ),
    ("No valid API key.", "Falta una clave de API válida."),
    (
        "Invalid values: `fields` names each one.",
        "Valores no válidos: `fields` nombra cada uno.",
    ),
    (
        "Too many requests for this key: wait `Retry-After` seconds.",
        "Demasiadas peticiones con esta clave: espera `Retry-After` segundos.",
    ),
    (
        "No such resource in this workspace.",
        "No existe ese recurso en este espacio de trabajo.",
    ),
    (
        "The request does not apply to the resource's current state.",
        "La petición no aplica al estado actual del recurso.",
    ),
    (
        "The JSON API's error: `{\"error\": {\"code\", \"message\", \"fields\"?}}`.",
        "El error de la API JSON: `{\"error\": {\"code\", \"message\", \"fields\"?}}`.",
    ),
    ("What went wrong.", "Qué salió mal."),
    (
        "A stable code: `unauthorized`, `forbidden`, `not_found`, `conflict`, `bad_request`, `invalid`, `rate_limited` or `internal`.",
        "Un código estable: `unauthorized`, `forbidden`, `not_found`, `conflict`, `bad_request`, `invalid`, `rate_limited` o `internal`.",
    ),
    ("A sentence for people.", "Una frase para personas."),
    (
        "With `invalid`: each field at fault and why.",
        "Con `invalid`: cada campo con problemas y por qué.",
    ),
    (
        "The error of the PAUTA-shaped intake doors: `{\"ok\": false, \"error\"}`.",
        "El error de las puertas de captación con la forma de PAUTA: `{\"ok\": false, \"error\"}`.",
    ),
    ("Always false.", "Siempre false."),
    ("Always true.", "Siempre true."),
    (
        "The part at fault and why: `\"<part>: <message>\"`.",
        "La parte con problemas y por qué: `\"<parte>: <mensaje>\"`.",
    ),
    (
        "The one field at fault, when there is one.",
        "El campo con problemas, cuando hay uno.",
    ),
    (
        "One page of a list, newest first unless the operation says otherwise.",
        "Una página de una lista, lo más reciente primero salvo que la operación diga otra cosa.",
    ),
    (
        "Pass as `cursor` to get the next page; null on the last page.",
        "Pásalo como `cursor` para pedir la página siguiente; null en la última página.",
    ),
    (
        "An answer that only says it worked.",
        "Una respuesta que solo dice que funcionó.",
    ),
    ("Page size, 1 to 500.", "Tamaño de la página, de 1 a 500."),
    (
        "The `next_cursor` of the previous page.",
        "El `next_cursor` de la página anterior.",
    ),
];

/// Every table, English → Spanish.
fn table() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        [
            SHARED,
            super::super::SPANISH,
            super::super::crm::SPANISH,
            super::super::events::SPANISH,
            super::super::scoring::SPANISH,
            super::super::automations::SPANISH,
            super::super::forms::SPANISH,
            super::super::calendars::SPANISH,
            super::super::memberships::SPANISH,
            super::super::conversations::SPANISH,
            super::super::retention::SPANISH,
            super::super::reports::SPANISH,
            super::super::notifications::SPANISH,
            super::super::webhooks::SPANISH,
            super::super::audit::SPANISH,
            super::super::intake::SPANISH,
            super::super::twilio::SPANISH,
            super::super::email_events::SPANISH,
            super::super::inbound_email::SPANISH,
            super::super::twilio_media::SPANISH,
            crate::pages::forms::public::SPANISH,
            crate::pages::booking::public::SPANISH,
            crate::pages::booking::manage::SPANISH,
        ]
        .into_iter()
        .flatten()
        .copied()
        .collect()
    })
}

/// Keys whose string values are prose to translate.
const PROSE: &[&str] = &["summary", "description", "title"];

/// Replaces every summary, description, title and tag name that has a
/// Spanish text.
pub fn translate(v: &mut Value) {
    let table = table();
    walk(v, &mut |key, text| {
        if PROSE.contains(&key)
            && let Some(es) = table.get(text.as_str())
        {
            *text = (*es).to_string();
        }
    });
    for name in tag_names(v) {
        if let Some(es) = table.get(name.as_str()) {
            *name = (*es).to_string();
        }
    }
}

/// The tags' names: declared at the top and named by each operation.
fn tag_names(v: &mut Value) -> Vec<&mut String> {
    let mut names = Vec::new();
    let Some(doc) = v.as_object_mut() else {
        return names;
    };
    let (mut tags, mut paths) = (None, None);
    for (k, child) in doc.iter_mut() {
        match k.as_str() {
            "tags" => tags = Some(child),
            "paths" => paths = Some(child),
            _ => {}
        }
    }
    for tag in tags.and_then(Value::as_array_mut).into_iter().flatten() {
        if let Some(Value::String(n)) = tag.get_mut("name") {
            names.push(n);
        }
    }
    for item in paths.and_then(Value::as_object_mut).into_iter().flatten() {
        for op in item.1.as_object_mut().into_iter().flatten() {
            for t in
                op.1.get_mut("tags")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
            {
                if let Value::String(n) = t {
                    names.push(n);
                }
            }
        }
    }
    names
}

/// The prose of the document that has no Spanish text (for the test).
pub fn untranslated(v: &Value) -> Vec<String> {
    let table = table();
    let mut missing = Vec::new();
    let mut v = v.clone();
    walk(&mut v, &mut |key, text| {
        if PROSE.contains(&key) && !table.contains_key(text.as_str()) && key != "title" {
            missing.push(text.clone());
        }
    });
    missing.extend(
        tag_names(&mut v)
            .into_iter()
            .filter(|n| !table.contains_key(n.as_str()))
            .map(|n| n.clone()),
    );
    missing.sort();
    missing.dedup();
    missing
}

/// Calls `f(key, string)` for every string held under a key, skipping
/// examples (data, not prose) and schema property maps' names.
fn walk(v: &mut Value, f: &mut impl FnMut(&str, &mut String)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "example" || k == "examples" {
                    continue;
                }
                match child {
                    Value::String(s) => f(k, s),
                    other => walk(other, f),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, f)),
        _ => {}
    }
}
