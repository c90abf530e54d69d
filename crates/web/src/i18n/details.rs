//! The reader's language for what the engine wrote in English: skip
//! reasons of messages and steps, step-run details and outcomes, exit
//! reasons ("the contact has no phone", "email to ana@x.com", "goal:
//! form.submitted", "wait skipped (test mode)").
//!
//! Those texts are stored as they are and translated when shown: rows
//! written before this module existed read the same way as new ones, and
//! the engine keeps logging one plain text. A text this module does not
//! recognise is shown as stored (a vendor's error, a newer engine's
//! wording), never dropped. When the engine adds a detail, add its pattern
//! here and to the test below.

use super::vocab::VocabTr;
use af_core::Locale;

crate::translations! {
    DetailsTr, DETAILS_ES, DETAILS_EN {
        no_email: "el contacto no tiene correo", "the contact has no email";
        unsubscribed: "el contacto se dio de baja de los correos de marketing", "the contact unsubscribed from marketing email";
        no_phone: "el contacto no tiene teléfono", "the contact has no phone";
        opted_out_texts: "el contacto pidió no recibir mensajes de texto", "the contact opted out of text messages";
        opted_out_calls: "el contacto pidió no recibir llamadas ni mensajes de texto", "the contact opted out of calls and text messages";
        opted_out: "el contacto pidió no recibir mensajes", "the contact opted out";
        hard_bounced: "la dirección rebotó (rebote definitivo): no se envían más correos de marketing", "the address bounced (hard bounce): no more marketing email is sent";
        spam_reported: "el contacto marcó nuestro correo como spam: no se envían más correos de marketing", "the contact reported our email as spam: no more marketing email is sent";
        kommo_off: "Kommo no está configurado", "Kommo is not configured";
        kommo_no_booked_status: "falta configurar el estado «agendado» de Kommo (KOMMO_STATUS_ID_AGENDADO)", "Kommo's booked status is not configured (KOMMO_STATUS_ID_AGENDADO)";
        no_contact: "sin contacto", "no contact";
        no_kommo_lead: "el contacto no tiene lead en Kommo", "the contact has no Kommo lead";
        lead_already_booked: "el lead se creó ya en el estado de cita agendada", "the lead was created in the booked status";
        kommo_no_lead: "Kommo no devolvió ningún lead para esta petición", "Kommo answered no lead for this request";
        kommo_queued: "sincronización con Kommo en cola", "Kommo sync queued";
        wait_skipped_test: "espera omitida (modo de prueba)", "wait skipped (test mode)";
        timeout: "se agotó el tiempo", "timed out";
        removed_by_other: "lo sacó otro flujo", "removed by another workflow";
        removed_from: "salió del flujo", "removed from the workflow";
        was_not_in: "no estaba en el flujo", "was not in the workflow";
        sent_to: "{channel} a {to}", "{channel} to {to}";
        calling: "llamando a {to}", "calling {to}";
        tagged: "etiqueta añadida: {tag}", "tagged {tag}";
        already_tagged: "ya tenía la etiqueta {tag}", "already tagged {tag}";
        untagged: "etiqueta quitada: {tag}", "untagged {tag}";
        was_not_tagged: "no tenía la etiqueta {tag}", "was not tagged {tag}";
        moved_to: "movido a {stage}", "moved to {stage}";
        task: "tarea: {title}", "task: {title}";
        team_notified: "equipo avisado ({n} correos)", "team notified ({n} emails)";
        score: "puntaje {change}", "score {change}";
        enrolled_in: "inscrito en {name}", "enrolled in {name}";
        not_enrolled_in: "no se inscribió en {name} (ya estaba, no admite reingreso o está en pausa)", "not enrolled in {name} (already in it, re-entry or paused)";
        field_set: "campo {field} actualizado", "field {field} set";
        until: "hasta {when}", "until {when}";
        waiting_for: "esperando: {event}", "waiting for: {event}";
        goal: "meta cumplida: {event}", "goal reached: {event}";
        replied: "el contacto respondió", "the contact replied";
        ended_by: "terminada por {name}", "ended by {name}";
        alert_stuck: "un paso lleva más de 30 minutos de retraso: ¿están funcionando los procesos en segundo plano?", "a step is more than 30 minutes overdue: are the workers running?";
        alert_step_failed: "{name}: el paso {step} falló: {error}", "{name}: step {step} failed: {error}";
        alert_webhook_disabled: "se desactivó el webhook {url} tras {n} entregas fallidas seguidas", "webhook endpoint {url} disabled after {n} consecutive failed deliveries";
        alert_workflow_invalid: "{name}: no pudo ejecutarse con un evento y se omitió: {why}", "{name}: could not run on an event and was skipped: {why}";
        out_then: "se cumple", "true";
        out_else: "no se cumple", "false";
        out_event: "ocurrió el evento", "the event happened";
        out_answered: "contestada", "answered";
        out_no_answer: "sin respuesta", "no answer";
        out_voicemail: "buzón de voz", "voicemail";
        out_busy: "ocupado", "busy";
        out_failed: "falló", "failed";
    }
}

/// A stored skip reason, step detail or exit reason in `locale`.
pub fn detail(locale: Locale, stored: &str) -> String {
    let t = DetailsTr::get(locale);
    let v = VocabTr::get(locale);
    let exact = match stored {
        "the contact has no email" => Some(t.no_email),
        "the contact unsubscribed from marketing email" => Some(t.unsubscribed),
        "the contact has no phone" => Some(t.no_phone),
        "the contact opted out of text messages" => Some(t.opted_out_texts),
        "the contact opted out of calls and text messages" => Some(t.opted_out_calls),
        "the contact opted out" => Some(t.opted_out),
        "the address bounced (hard bounce)" => Some(t.hard_bounced),
        "the contact reported our email as spam" => Some(t.spam_reported),
        "Kommo is not configured" => Some(t.kommo_off),
        "KOMMO_STATUS_ID_AGENDADO is not configured" => Some(t.kommo_no_booked_status),
        "no contact" => Some(t.no_contact),
        "the contact has no Kommo lead" => Some(t.no_kommo_lead),
        "the lead was created in the booked status" => Some(t.lead_already_booked),
        "Kommo answered no lead for this request" => Some(t.kommo_no_lead),
        "Kommo sync queued" => Some(t.kommo_queued),
        "wait skipped (test mode)" => Some(t.wait_skipped_test),
        "timeout" => Some(t.timeout),
        "removed by another workflow" => Some(t.removed_by_other),
        "removed from the workflow" => Some(t.removed_from),
        "was not in the workflow" => Some(t.was_not_in),
        "replied" => Some(t.replied),
        _ => None,
    };
    if let Some(s) = exact {
        return s.to_string();
    }
    // A resumed wait logs the event kind that resumed it.
    if af_core::vocab::EventKind::parse(stored).is_some() {
        return v.event_kind(stored).to_string();
    }
    let fill = |template: &str, key: &str, value: &str| template.replace(key, value);
    if let Some((channel, to)) = stored.split_once(" to ")
        && af_core::vocab::Channel::parse(channel).is_some()
        && !to.is_empty()
    {
        return t
            .sent_to
            .replace("{channel}", v.channel(channel))
            .replace("{to}", to);
    }
    // Longer prefixes first: "not enrolled in" before "enrolled in",
    // "already tagged" before "tagged".
    let prefixes: [(&str, &str, &str); 13] = [
        ("calling ", t.calling, "{to}"),
        ("already tagged ", t.already_tagged, "{tag}"),
        ("was not tagged ", t.was_not_tagged, "{tag}"),
        ("untagged ", t.untagged, "{tag}"),
        ("tagged ", t.tagged, "{tag}"),
        ("moved to ", t.moved_to, "{stage}"),
        ("task: ", t.task, "{title}"),
        ("score ", t.score, "{change}"),
        ("enrolled in ", t.enrolled_in, "{name}"),
        ("until ", t.until, "{when}"),
        ("waiting for ", t.waiting_for, "{event}"),
        ("goal: ", t.goal, "{event}"),
        ("ended by ", t.ended_by, "{name}"),
    ];
    if let Some(rest) = stored.strip_prefix("not enrolled in ")
        && let Some(name) = rest.strip_suffix(" (already in it, re-entry or paused)")
    {
        return fill(t.not_enrolled_in, "{name}", name);
    }
    if let Some(n) = stored
        .strip_prefix("team notified (")
        .and_then(|r| r.strip_suffix(" emails)"))
    {
        return fill(t.team_notified, "{n}", n);
    }
    // A wait's end, stored as RFC 9557, read in the zone it was reckoned
    // in (the contact's), as the reader's language writes dates.
    if let Some(rest) = stored.strip_prefix("until ")
        && let Ok(z) = rest.parse::<jiff::Zoned>()
    {
        let when = af_core::datetime::date_time(z.timestamp(), z.time_zone(), locale);
        let zone = z.time_zone().iana_name().unwrap_or_default();
        let when = if zone.is_empty() {
            when
        } else {
            format!("{when} ({zone})")
        };
        return fill(t.until, "{when}", &when);
    }
    for (prefix, template, key) in prefixes {
        if let Some(rest) = stored.strip_prefix(prefix) {
            let rest = if key == "{event}" {
                v.event_kind(rest)
            } else {
                rest
            };
            return fill(template, key, rest);
        }
    }
    if let Some(field) = stored.strip_suffix(" set")
        && !field.contains(' ')
    {
        return fill(t.field_set, "{field}", field);
    }
    stored.to_string()
}

/// A workflow alert (`workflow_alerts.message`, written in English by the
/// engine) in `locale`, read by its `kind`. A team notification is the
/// team's own text and stays as written; so does any message whose shape
/// this version does not know.
pub fn alert(locale: Locale, kind: &str, stored: &str) -> String {
    let t = DetailsTr::get(locale);
    let translated = match kind {
        "stuck" => Some(t.alert_stuck.to_string()),
        "step_failed" => stored.split_once(": step ").and_then(|(name, rest)| {
            let (step, error) = rest.split_once(" failed: ")?;
            Some(
                t.alert_step_failed
                    .replace("{name}", name)
                    .replace("{step}", step)
                    .replace("{error}", error),
            )
        }),
        "webhook_disabled" => stored
            .strip_prefix("webhook endpoint ")
            .and_then(|r| r.strip_suffix(" consecutive failed deliveries"))
            .and_then(|r| r.rsplit_once(" disabled after "))
            .map(|(url, n)| {
                t.alert_webhook_disabled
                    .replace("{url}", url)
                    .replace("{n}", n)
            }),
        "workflow_invalid" => stored
            .split_once(": could not run on an event and was skipped: ")
            .map(|(name, why)| {
                t.alert_workflow_invalid
                    .replace("{name}", name)
                    .replace("{why}", why)
            }),
        _ => None,
    };
    translated.unwrap_or_else(|| stored.to_string())
}

/// A stored step-run outcome in `locale`: a message status (`queued`), a
/// step-run status (`skipped`), a branch (`then` / `else`), a call outcome
/// or a wait's end (`timeout`, `event`).
pub fn outcome(locale: Locale, stored: &str) -> String {
    let t = DetailsTr::get(locale);
    let v = VocabTr::get(locale);
    let word = match stored {
        "then" => t.out_then,
        "else" => t.out_else,
        "event" => t.out_event,
        "timeout" => t.timeout,
        "answered" => t.out_answered,
        "no_answer" => t.out_no_answer,
        "voicemail" => t.out_voicemail,
        "busy" => t.out_busy,
        "failed" => t.out_failed,
        "skipped" => v.step_run_status(stored),
        other => v.message_status(other),
    };
    word.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_engine_texts_read_in_spanish() {
        let es = |s: &str| detail(Locale::Es, s);
        assert_eq!(
            es("the contact has no phone"),
            "el contacto no tiene teléfono"
        );
        assert_eq!(
            es("wait skipped (test mode)"),
            "espera omitida (modo de prueba)"
        );
        assert_eq!(es("Kommo is not configured"), "Kommo no está configurado");
        assert_eq!(es("email to ana@example.com"), "Correo a ana@example.com");
        assert_eq!(es("whatsapp to +525512345678"), "WhatsApp a +525512345678");
        assert_eq!(es("voice to +525512345678"), "Llamada a +525512345678");
        assert_eq!(es("calling +525512345678"), "llamando a +525512345678");
        assert_eq!(es("already tagged vip"), "ya tenía la etiqueta vip");
        assert_eq!(es("tagged vip"), "etiqueta añadida: vip");
        assert_eq!(es("team notified (2 emails)"), "equipo avisado (2 correos)");
        assert_eq!(
            es("not enrolled in Bienvenida (already in it, re-entry or paused)"),
            "no se inscribió en Bienvenida (ya estaba, no admite reingreso o está en pausa)"
        );
        assert_eq!(es("enrolled in Bienvenida"), "inscrito en Bienvenida");
        assert_eq!(
            es("goal: form.submitted"),
            "meta cumplida: Envió un formulario"
        );
        assert_eq!(
            es("waiting for call.completed"),
            "esperando: Terminó una llamada"
        );
        assert_eq!(es("appointment.booked"), "Agendó una cita");
        assert_eq!(es("first_name set"), "campo first_name actualizado");
        assert_eq!(es("score 3 → 8"), "puntaje 3 → 8");
        assert_eq!(es("ended by Ana López"), "terminada por Ana López");
    }

    #[test]
    fn a_wait_reads_its_end_in_the_readers_language_and_the_contacts_zone() {
        let stored = "until 2026-12-05T09:00:00-06:00[America/Mexico_City]";
        let es = detail(Locale::Es, stored);
        let en = detail(Locale::En, stored);
        assert!(es.starts_with("hasta 5 dic 2026"), "{es}");
        assert!(es.ends_with("(America/Mexico_City)"), "{es}");
        assert!(en.starts_with("until Dec 5, 2026"), "{en}");
        // A detail written before the format changed is kept as it is.
        assert_eq!(
            detail(Locale::Es, "until 2026-12-05 09:00 CST"),
            "hasta 2026-12-05 09:00 CST"
        );
    }

    #[test]
    fn english_reads_as_english_and_unknown_text_is_kept() {
        let en = |s: &str| detail(Locale::En, s);
        assert_eq!(en("the contact has no phone"), "the contact has no phone");
        assert_eq!(en("sms to +525512345678"), "SMS to +525512345678");
        assert_eq!(en("goal: tag.added"), "goal reached: Tag added");
        assert_eq!(en("HTTP 500: upstream down"), "HTTP 500: upstream down");
        assert_eq!(
            detail(Locale::Es, "HTTP 500: upstream down"),
            "HTTP 500: upstream down"
        );
    }

    #[test]
    fn alerts_read_by_kind() {
        assert_eq!(
            alert(
                Locale::Es,
                "step_failed",
                "Bienvenida: step s1 (move_to_stage) failed: stage not found"
            ),
            "Bienvenida: el paso s1 (move_to_stage) falló: stage not found"
        );
        assert_eq!(
            alert(
                Locale::Es,
                "webhook_disabled",
                "webhook endpoint https://x.test/h disabled after 20 consecutive failed deliveries"
            ),
            "se desactivó el webhook https://x.test/h tras 20 entregas fallidas seguidas"
        );
        assert!(
            alert(
                Locale::Es,
                "stuck",
                "a step is more than 30 minutes overdue: are the workers running?"
            )
            .starts_with("un paso")
        );
        assert_eq!(
            alert(Locale::Es, "team_notification", "Nuevo lead: Ana"),
            "Nuevo lead: Ana"
        );
        assert_eq!(alert(Locale::En, "step_failed", "odd text"), "odd text");
    }

    #[test]
    fn outcomes_read_in_the_language() {
        assert_eq!(outcome(Locale::Es, "queued"), "En cola");
        assert_eq!(outcome(Locale::Es, "skipped"), "Omitido");
        assert_eq!(outcome(Locale::Es, "then"), "se cumple");
        assert_eq!(outcome(Locale::En, "no_answer"), "no answer");
        assert_eq!(outcome(Locale::Es, "something_new"), "something_new");
    }
}
