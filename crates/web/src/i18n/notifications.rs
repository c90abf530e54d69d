//! The bell's strings, and the text of each notification kind rendered
//! from its params in the reader's language ([`text`]). Notifications
//! store a kind and params, never prose, so a member reading in English
//! sees English even for what was pushed while the workspace spoke Spanish.

use af_core::Locale;
use af_core::vocab::NotificationKind;
use af_db::notifications::digest::DigestSectionKind;
use serde_json::Value;

crate::translations! {
    NotificationsTr, NOTIFICATIONS_ES, NOTIFICATIONS_EN {
        title: "Notificaciones", "Notifications";
        bell: "Notificaciones", "Notifications";
        unread_suffix: "sin leer", "unread";
        none: "No tienes notificaciones.", "You have no notifications.";
        none_unread: "No tienes notificaciones sin leer.", "You have no unread notifications.";
        mark_all_read: "Marcar todas como leídas", "Mark all as read";
        mark_read: "Marcar como leída", "Mark as read";
        see_all: "Ver todas", "See all";
        unread_label: "Sin leer", "Unread";
        read_label: "Leída", "Read";
        show_all: "Todas", "All";
        show_unread: "Solo sin leer", "Unread only";
        more: "Más antiguas", "Older";
        preferences: "Preferencias de notificaciones", "Notification preferences";
        preferences_hint: "Elige qué avisos ves en la campana y cuáles te llegan también por correo. Se aplican a este espacio de trabajo.", "Choose which notices you see in the bell and which also reach you by email. They apply to this workspace.";
        kind_column: "Aviso", "Notice";
        in_app: "En la campana", "In the bell";
        by_email: "Por correo", "By email";
        digest: "Resumen diario por correo", "Daily digest email";
        digest_hint: "Cada mañana (7:00 en la zona horaria del espacio de trabajo), tus tareas para hoy. No se envía si no hay nada.", "Every morning (7:00 in the workspace's time zone), your tasks due today. Not sent when there is nothing.";
        save: "Guardar preferencias", "Save preferences";
        saved: "Preferencias guardadas.", "Preferences saved.";
        kind_retention_alert_assigned: "Alerta de retención asignada a ti", "Retention alert assigned to you";
        kind_retention_alert_escalated: "Alerta de retención que sube de riesgo", "Retention alert rising in risk";
        kind_task_assigned: "Tarea asignada a ti", "Task assigned to you";
        kind_task_due: "Tareas para hoy", "Tasks due today";
        kind_hot_lead: "Lead caliente", "Hot lead";
        kind_booking_created: "Nueva cita contigo", "New booking with you";
        kind_automation_failing: "Automatización con fallos", "Failing automation";
        kind_team_notification: "Aviso al equipo de un flujo", "Team notice from a workflow";
        kind_conversation_assigned: "Conversación asignada a ti", "Conversation assigned to you";
        kind_message_replied: "Respuesta de un contacto tuyo", "Reply from one of your contacts";
        t_conversation_assigned: "Conversación con {contact} asignada a ti", "Conversation with {contact} assigned to you";
        t_message_replied: "{contact} respondió por {channel}: {preview}", "{contact} replied by {channel}: {preview}";
        channel_email: "correo", "email";
        channel_sms: "SMS", "SMS";
        channel_whatsapp: "WhatsApp", "WhatsApp";
        channel_other: "mensaje", "message";
        t_alert_assigned: "Alerta de retención asignada: {contact} · {type} · riesgo {risk}", "Retention alert assigned to you: {contact} · {type} · risk {risk}";
        t_alert_escalated: "La alerta de retención de {contact} subió a riesgo {risk} · {type}", "{contact}'s retention alert rose to risk {risk} · {type}";
        t_task_assigned: "Nueva tarea para ti: {title}", "New task for you: {title}";
        t_task_due: "Tienes {count} tareas para hoy", "You have {count} tasks due today";
        t_hot_lead: "Lead caliente: {contact} llegó a {score} puntos ({threshold})", "Hot lead: {contact} reached {score} points ({threshold})";
        t_booking_created: "Nueva cita con {contact}: {when}", "New booking with {contact}: {when}";
        t_workflow_failing: "Un flujo necesita atención: {workflow}", "A workflow needs attention: {workflow}";
        t_workflow_stuck: "Un flujo está atascado: {workflow}", "A workflow is stuck: {workflow}";
        t_webhook_disabled: "Se desactivó un webhook tras fallos repetidos", "A webhook endpoint was disabled after repeated failures";
        t_team: "Aviso del equipo: {message}", "Team notice: {message}";
        a_contact: "un contacto", "a contact";
        a_workflow: "un flujo", "a workflow";
        risk_type_no_attendance: "sin asistencia", "no attendance";
        risk_type_membership_expiring: "membresía por vencer", "membership expiring";
        risk_type_low_bookings: "pocas reservas", "few bookings";
        risk_type_payment_failed: "pago fallido", "payment failed";
        risk_type_high_cancellation_rate: "muchas cancelaciones", "many cancellations";
        risk_type_other: "riesgo de baja", "at risk of leaving";
        email_footer: "Cambia qué te llega por correo en tus preferencias de notificaciones:", "Change what reaches you by email in your notification preferences:";
        digest_subject: "Tu resumen de hoy en {workspace}", "Your day at {workspace}";
        digest_intro: "Buenos días. Esto es lo que tienes hoy en {workspace}:", "Good morning. Here is your day at {workspace}:";
        section_tasks_due_today: "Tareas para hoy", "Tasks due today";
        section_retention_alerts: "Tus alertas de retención abiertas", "Your open retention alerts";
    }
}

impl NotificationsTr {
    /// The label of a kind (preferences).
    pub fn kind_label(&self, kind: NotificationKind) -> &'static str {
        match kind {
            NotificationKind::RetentionAlertAssigned => self.kind_retention_alert_assigned,
            NotificationKind::RetentionAlertEscalated => self.kind_retention_alert_escalated,
            NotificationKind::TaskAssigned => self.kind_task_assigned,
            NotificationKind::TaskDue => self.kind_task_due,
            NotificationKind::HotLead => self.kind_hot_lead,
            NotificationKind::BookingCreated => self.kind_booking_created,
            NotificationKind::AutomationFailing => self.kind_automation_failing,
            NotificationKind::TeamNotification => self.kind_team_notification,
            NotificationKind::ConversationAssigned => self.kind_conversation_assigned,
            NotificationKind::MessageReplied => self.kind_message_replied,
        }
    }

    /// The heading of a digest section.
    pub fn section(&self, kind: DigestSectionKind) -> &'static str {
        match kind {
            DigestSectionKind::TasksDueToday => self.section_tasks_due_today,
            DigestSectionKind::RetentionAlerts => self.section_retention_alerts,
        }
    }

    /// A retention alert's type (`af_core` vocabulary of the retention
    /// rules), read from params: unknown values read as a generic risk.
    fn risk_type(&self, t: &str) -> &'static str {
        match t {
            "no_attendance" => self.risk_type_no_attendance,
            "membership_expiring" => self.risk_type_membership_expiring,
            "low_bookings" => self.risk_type_low_bookings,
            "payment_failed" => self.risk_type_payment_failed,
            "high_cancellation_rate" => self.risk_type_high_cancellation_rate,
            _ => self.risk_type_other,
        }
    }
}

/// A param as display text: strings as they are, numbers written out,
/// anything else empty.
fn param(params: &Value, key: &str) -> String {
    match params.get(key) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in pairs {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// What a notification says, in `locale`. `time_zone` writes instants (a
/// booking's start) in the workspace's zone. Kinds this build does not
/// know read as the bell's title, never as their code.
pub fn text(kind: &str, params: &Value, locale: Locale, time_zone: &str) -> String {
    let t = NotificationsTr::get(locale);
    let or = |s: String, fallback: &str| {
        if s.is_empty() {
            fallback.to_string()
        } else {
            s
        }
    };
    let contact = or(param(params, "contact_name"), t.a_contact);
    let Some(kind) = NotificationKind::parse(kind) else {
        return t.title.to_string();
    };
    match kind {
        NotificationKind::RetentionAlertAssigned | NotificationKind::RetentionAlertEscalated => {
            let template = if kind == NotificationKind::RetentionAlertAssigned {
                t.t_alert_assigned
            } else {
                t.t_alert_escalated
            };
            let risk = or(param(params, "risk"), "?");
            let kind_text = t.risk_type(&param(params, "type"));
            fill(
                template,
                &[("contact", &contact), ("type", kind_text), ("risk", &risk)],
            )
        }
        NotificationKind::TaskAssigned => {
            let title = param(params, "title");
            let mut s = fill(t.t_task_assigned, &[("title", &title)]);
            let name = param(params, "contact_name");
            if !name.is_empty() {
                s.push_str(" · ");
                s.push_str(&name);
            }
            s
        }
        NotificationKind::TaskDue => {
            fill(t.t_task_due, &[("count", &or(param(params, "count"), "0"))])
        }
        NotificationKind::HotLead => fill(
            t.t_hot_lead,
            &[
                ("contact", &contact),
                ("score", &or(param(params, "score"), "?")),
                ("threshold", &param(params, "threshold")),
            ],
        )
        .replace(" ()", ""),
        NotificationKind::BookingCreated => {
            let when = params
                .get("starts_at")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .map(|at| crate::pages::fmt_when(af_db::Ts::new(at), time_zone, locale))
                .unwrap_or_default();
            fill(
                t.t_booking_created,
                &[("contact", &contact), ("when", &when)],
            )
            .trim_end_matches([':', ' '])
            .to_string()
        }
        NotificationKind::AutomationFailing => {
            let workflow = or(param(params, "workflow_name"), t.a_workflow);
            match param(params, "alert_kind").as_str() {
                "webhook_disabled" => t.t_webhook_disabled.to_string(),
                "stuck" => fill(t.t_workflow_stuck, &[("workflow", &workflow)]),
                _ => fill(t.t_workflow_failing, &[("workflow", &workflow)]),
            }
        }
        NotificationKind::TeamNotification => {
            fill(t.t_team, &[("message", &param(params, "message"))])
        }
        NotificationKind::ConversationAssigned => {
            fill(t.t_conversation_assigned, &[("contact", &contact)])
        }
        NotificationKind::MessageReplied => {
            let channel = match param(params, "channel").as_str() {
                "email" => t.channel_email,
                "sms" => t.channel_sms,
                "whatsapp" => t.channel_whatsapp,
                _ => t.channel_other,
            };
            fill(
                t.t_message_replied,
                &[
                    ("contact", &contact),
                    ("channel", channel),
                    ("preview", &param(params, "preview")),
                ],
            )
            .trim_end_matches([':', ' '])
            .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retention_alerts_read_well_from_their_params() {
        let p = json!({"alert_id": "a", "contact_id": "c", "contact_name": "Ana Ruiz", "risk": 70, "type": "no_attendance"});
        assert_eq!(
            text("retention_alert_assigned", &p, Locale::Es, "UTC"),
            "Alerta de retención asignada: Ana Ruiz · sin asistencia · riesgo 70"
        );
        assert_eq!(
            text("retention_alert_escalated", &p, Locale::En, "UTC"),
            "Ana Ruiz's retention alert rose to risk 70 · no attendance"
        );
        let odd = json!({"risk": "90", "type": "something_new"});
        assert_eq!(
            text("retention_alert_assigned", &odd, Locale::En, "UTC"),
            "Retention alert assigned to you: a contact · at risk of leaving · risk 90"
        );
    }

    #[test]
    fn every_kind_has_text_without_codes_or_placeholders() {
        for kind in NotificationKind::ALL {
            for locale in [Locale::Es, Locale::En] {
                let s = text(kind.as_str(), &json!({}), locale, "UTC");
                assert!(!s.is_empty(), "{kind}");
                assert!(!s.contains('{') && !s.contains('_'), "{kind}: {s}");
            }
        }
        assert_eq!(
            text("from_the_future", &json!({}), Locale::En, "UTC"),
            "Notifications"
        );
    }

    #[test]
    fn bookings_and_hot_leads_name_the_contact() {
        let b = json!({"contact_name": "Luis", "starts_at": "2026-03-09T16:00:00Z"});
        let s = text("booking_created", &b, Locale::En, "America/Mexico_City");
        assert!(s.starts_with("New booking with Luis: "), "{s}");
        let h = json!({"contact_name": "Luis", "score": 72, "threshold": "Hot Lead"});
        assert_eq!(
            text("hot_lead", &h, Locale::Es, "UTC"),
            "Lead caliente: Luis llegó a 72 puntos (Hot Lead)"
        );
    }
}
