//! The workflows shipped with AgencyFlow, installable in one click (and
//! installed in the demo workspace): the seeds' welcome sequence and
//! new-membership follow-up, PAUTA's speed-to-lead with its booking
//! follow-ups, and the hot-lead move at score 70. Texts are Spanish first,
//! as the seeds; each template is one or more workflow definitions.

use crate::ops::{Saved, save_workflow};
use crate::{EngineError, EngineResult};
use af_core::WorkspaceId;
use af_db::{Db, Ts};
use serde_json::{Value, json};

/// A shipped template.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub key: &'static str,
    pub name_es: &'static str,
    pub name_en: &'static str,
    pub description_es: &'static str,
    pub description_en: &'static str,
}

pub const TEMPLATES: &[Template] = &[
    Template {
        key: "welcome_sequence",
        name_es: "Bienvenida nuevos leads",
        name_en: "New lead welcome",
        description_es: "Tres correos: día 0 bienvenida, día 2 conoce las instalaciones, día 5 oferta especial.",
        description_en: "Three emails: day 0 welcome, day 2 see the place, day 5 special offer.",
    },
    Template {
        key: "membership_follow_up",
        name_es: "Seguimiento nueva membresía",
        name_en: "New membership follow-up",
        description_es: "Dos correos: día 0 felicitaciones, día 7 ¿cómo va tu primera semana?",
        description_en: "Two emails: day 0 congratulations, day 7 how is your first week going?",
    },
    Template {
        key: "pauta_speed_to_lead",
        name_es: "PAUTA: respuesta inmediata",
        name_en: "PAUTA: speed to lead",
        description_es: "Sincroniza con Kommo, correo de bienvenida y llamada al instante; si no contesta, WhatsApp con el enlace de agenda; seguimiento días 3, 6, 9 y 12; se detiene al agendar.",
        description_en: "Kommo sync, welcome email and call at once; on no answer a WhatsApp with the booking link; follow-ups on days 3, 6, 9 and 12; stops when the lead books.",
    },
    Template {
        key: "pauta_booking",
        name_es: "PAUTA: cita agendada",
        name_en: "PAUTA: booked meeting",
        description_es: "Confirmación por WhatsApp al agendar, recordatorio 24 h antes y encuesta después de la reunión.",
        description_en: "WhatsApp confirmation on booking, a reminder 24 h before and a survey after the meeting.",
    },
    Template {
        key: "hot_lead",
        name_es: "Lead caliente (puntaje ≥ 70)",
        name_en: "Hot lead (score ≥ 70)",
        description_es: "Cuando el puntaje llega a 70: etiqueta «hot lead», avisa al equipo y crea una tarea de llamada.",
        description_en: "When the score reaches 70: tag \"hot lead\", notify the team and create a call task.",
    },
];

fn email(subject: &str, body: &str) -> Value {
    json!({"type": "send_email", "subject": subject, "body": body})
}

fn wait_days(days: i64) -> Value {
    json!({"type": "wait", "days": days})
}

/// The PAUTA speed-to-lead workflow as the API would receive it.
pub fn pauta_speed_to_lead() -> Value {
    json!({
        "name": "PAUTA: respuesta inmediata",
        "description": "Speed to lead: correo y llamada al instante, WhatsApp si no contesta, seguimiento de 12 días.",
        "trigger": {"type": "lead_created"},
        // The follow-ups stop when the lead books or answers on any channel.
        "exit_on": ["appointment_booked", "inbound_message"],
        "reentry": "after_exit",
        "active": true,
        "steps": [
            {"id": "kommo", "type": "kommo_sync"},
            {"id": "welcome", "type": "send_email",
             "subject": "¡Hola {{ contact.first_name | default('') }}! Gracias por escribirnos",
             "body": "Hola {{ contact.first_name | default('') }},\n\nGracias por tu interés en {{ workspace.name }}. En unos minutos te llamamos para conocer tu proyecto.\n\nSi prefieres, agenda tu reunión aquí: {{ booking_url }}\n\nSaludos,\nEl equipo de {{ workspace.name }}\n\nPara no recibir más correos: {{ unsubscribe_url }}"},
            {"id": "call", "type": "voice_call",
             "say": "Hola {{ contact.first_name | default('') }}, te llamamos de {{ workspace.name }} por tu solicitud. Te enviaremos un enlace para agendar una reunión.",
             "machine_detection": true, "timeout_minutes": 30},
            {"id": "no_answer", "type": "if_else",
             "condition": {"type": "outcome", "in": ["no_answer", "busy", "failed", "voicemail"]},
             "then": [{"id": "missed_call_whatsapp", "type": "send_whatsapp",
                       "body": "Hola {{ contact.first_name | default('') }}, intentamos llamarte de {{ workspace.name }}. Agenda tu reunión cuando quieras: {{ booking_url }}"}],
             "else": []},
            {"id": "wait_day_3", "type": "wait", "days": 3},
            {"id": "day_3_whatsapp", "type": "send_whatsapp",
             "body": "Hola {{ contact.first_name | default('') }}, ¿pudiste agendar tu reunión? Aquí está el enlace: {{ booking_url }}"},
            {"id": "wait_day_6", "type": "wait", "days": 3},
            {"id": "day_6_email", "type": "send_email",
             "subject": "Un recurso para tu proyecto",
             "body": "Hola {{ contact.first_name | default('') }},\n\nTe compartimos una guía que ayuda a agencias y negocios como {{ contact.company | default('el tuyo') }} a conseguir más clientes.\n\nCuando quieras conversar: {{ booking_url }}\n\nPara no recibir más correos: {{ unsubscribe_url }}"},
            {"id": "wait_day_9", "type": "wait", "days": 3},
            {"id": "day_9_email", "type": "send_email",
             "subject": "Última oportunidad para agendar esta semana",
             "body": "Hola {{ contact.first_name | default('') }},\n\nNos quedan pocos espacios esta semana. Reserva el tuyo en dos clics: {{ booking_url }}\n\nPara no recibir más correos: {{ unsubscribe_url }}"},
            {"id": "wait_day_12", "type": "wait", "days": 3},
            {"id": "day_12_whatsapp", "type": "send_whatsapp",
             "body": "Hola {{ contact.first_name | default('') }}, soy Javier de {{ workspace.name }}. ¿Te ayudo a encontrar un horario? {{ booking_url }}"}
        ]
    })
}

fn definitions(key: &str) -> Option<Vec<Value>> {
    Some(match key {
        "welcome_sequence" => vec![json!({
            "name": "Bienvenida nuevos leads",
            "trigger": {"type": "lead_created"},
            "active": true,
            "steps": [
                email("¡Bienvenido/a, {{ contact.first_name | default('') }}!", "Hola {{ contact.first_name | default('') }},\n\nGracias por unirte a {{ workspace.name }}. Estamos felices de tenerte.\n\nPara no recibir más correos: {{ unsubscribe_url }}"),
                wait_days(2),
                email("Conoce nuestras instalaciones", "Hola {{ contact.first_name | default('') }},\n\nTe invitamos a conocer nuestras instalaciones. Agenda una visita: {{ booking_url }}\n\nPara no recibir más correos: {{ unsubscribe_url }}"),
                wait_days(3),
                email("Oferta especial: 20% de descuento", "Hola {{ contact.first_name | default('') }},\n\nSolo por esta semana, 20% de descuento en tu primer mes. Reserva aquí: {{ booking_url }}\n\nPara no recibir más correos: {{ unsubscribe_url }}"),
            ]
        })],
        "membership_follow_up" => vec![json!({
            "name": "Seguimiento nueva membresía",
            "trigger": {"type": "subscription_created"},
            "active": true,
            "steps": [
                email("¡Felicitaciones por tu membresía!", "Hola {{ contact.first_name | default('') }},\n\n¡Bienvenido/a a {{ workspace.name }}! Tu membresía ya está activa.\n\nPara no recibir más correos: {{ unsubscribe_url }}"),
                wait_days(7),
                email("¿Cómo va tu primera semana?", "Hola {{ contact.first_name | default('') }},\n\n¿Cómo te ha ido en tu primera semana? Responde este correo si necesitas algo.\n\nPara no recibir más correos: {{ unsubscribe_url }}"),
            ]
        })],
        "pauta_speed_to_lead" => vec![pauta_speed_to_lead()],
        "pauta_booking" => vec![
            json!({
                "name": "PAUTA: confirmación de cita",
                "trigger": {"type": "appointment_booked"},
                "reentry": "always",
                "active": true,
                "steps": [{"type": "send_whatsapp", "body": "¡Listo, {{ contact.first_name | default('') }}! Tu reunión con {{ workspace.name }} quedó agendada. Te esperamos."}]
            }),
            json!({
                "name": "PAUTA: recordatorio 24 h",
                "trigger": {"type": "appointment_relative", "offset_minutes": -1440},
                "reentry": "always",
                "active": true,
                "steps": [{"type": "send_whatsapp", "body": "Hola {{ contact.first_name | default('') }}, te recordamos tu reunión de mañana con {{ workspace.name }}."}]
            }),
            json!({
                "name": "PAUTA: encuesta post-reunión",
                "trigger": {"type": "appointment_relative", "offset_minutes": 120},
                "reentry": "always",
                "active": true,
                "steps": [email("¿Cómo te fue en la reunión?", "Hola {{ contact.first_name | default('') }},\n\nGracias por reunirte con {{ workspace.name }}. ¿Nos cuentas cómo te fue? Te dejamos además material extra para tu proyecto.\n\nPara no recibir más correos: {{ unsubscribe_url }}")]
            }),
        ],
        "hot_lead" => vec![json!({
            "name": "Lead caliente (puntaje ≥ 70)",
            // The workspace's "Hot Lead" threshold (enter 70, leave 60):
            // a score hovering around 70 enters, and fires, once.
            "trigger": {"type": "score_reached", "threshold_name": "Hot Lead"},
            "reentry": "after_exit",
            "active": true,
            "steps": [
                {"type": "add_tag", "tag": "hot lead"},
                {"type": "notify_team", "message": "{{ contact.full_name }} llegó a {{ contact.score }} puntos: es un lead caliente."},
                {"type": "create_task", "title": "Llamar a {{ contact.full_name }} (lead caliente)", "due_in_hours": 4}
            ]
        })],
        _ => return None,
    })
}

/// Installs a template's workflows in a workspace (active unless told
/// otherwise). Returns what was saved.
pub async fn install(
    db: &Db,
    ws: WorkspaceId,
    key: &str,
    active: bool,
    now: Ts,
) -> EngineResult<Vec<Saved>> {
    let defs = definitions(key).ok_or(EngineError::NotFound("template"))?;
    let mut out = Vec::new();
    for mut d in defs {
        if let Some(o) = d.as_object_mut() {
            o.insert("active".into(), Value::Bool(active));
        }
        out.push(
            save_workflow(
                db,
                ws,
                None,
                &d,
                Some(key),
                af_channels::ssrf::SsrfPolicy::default(),
                now,
            )
            .await?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        for t in super::TEMPLATES {
            for d in super::definitions(t.key).expect("defined") {
                af_core::workflow::Definition::parse(&d)
                    .unwrap_or_else(|e| panic!("{}: {e:?}", t.key));
            }
        }
    }
}
