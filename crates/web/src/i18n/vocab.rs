//! Labels of the stored vocabulary (`af_core::vocab`): channels, message,
//! enrolment and step-run statuses, event kinds, and job kinds. Pages show
//! these instead of the stored codes, so a page speaks one language.
//!
//! Each `*_label` method matches the enum exhaustively: a new value in
//! `af-core` does not compile until it has a label in both languages. The
//! `*_text` variants take the stored text of a row and fall back to it
//! unchanged when it is not a known value (a row written by a newer
//! version, or a custom event), rather than hide it.

use af_core::vocab::{
    AlertStatus, AlertType, Channel, EnrollmentStatus, EventKind, MembershipStatus, MessageStatus,
    StepRunStatus,
};

crate::translations! {
    VocabTr, VOCAB_ES, VOCAB_EN {
        ch_email: "Correo", "Email";
        ch_sms: "SMS", "SMS";
        ch_whatsapp: "WhatsApp", "WhatsApp";
        ch_voice: "Llamada", "Call";
        ch_kommo: "Kommo", "Kommo";
        ch_webhook: "Webhook", "Webhook";
        ms_queued: "En cola", "Queued";
        ms_sending: "Enviándose", "Sending";
        ms_sent: "Enviado", "Sent";
        ms_delivered: "Entregado", "Delivered";
        ms_undelivered: "No entregado", "Undelivered";
        ms_failed: "Fallido", "Failed";
        ms_opened: "Abierto", "Opened";
        ms_clicked: "Con clic", "Clicked";
        ms_replied: "Respondido", "Replied";
        ms_skipped: "Omitido", "Skipped";
        en_active: "En curso", "Running";
        en_waiting: "En espera", "Waiting";
        en_paused: "En pausa", "Paused";
        en_completed: "Completada", "Completed";
        en_exited: "Salió", "Exited";
        en_failed: "Fallida", "Failed";
        sr_done: "Hecho", "Done";
        sr_skipped: "Omitido", "Skipped";
        sr_failed: "Fallido", "Failed";
        sr_waiting: "En espera", "Waiting";
        sr_exited: "Salió", "Exited";
        ev_contact_created: "Se creó el contacto", "Contact created";
        ev_contact_updated: "Se actualizó el contacto", "Contact updated";
        ev_contact_email_added: "Se añadió un correo", "Email added";
        ev_contact_deleted: "Se eliminó el contacto", "Contact deleted";
        ev_contact_erased: "Se borraron sus datos", "Data erased";
        ev_contact_score_changed: "Cambió el puntaje", "Score changed";
        ev_contact_first_visit: "Primera visita", "First visit";
        ev_activity_recorded: "Se registró una actividad", "Activity recorded";
        ev_score_threshold_entered: "Entró a un umbral de puntaje", "Score threshold entered";
        ev_score_threshold_exited: "Salió de un umbral de puntaje", "Score threshold left";
        ev_tag_added: "Se añadió una etiqueta", "Tag added";
        ev_tag_removed: "Se quitó una etiqueta", "Tag removed";
        ev_note_added: "Se añadió una nota", "Note added";
        ev_deal_created: "Se creó un negocio", "Deal created";
        ev_deal_stage_changed: "El negocio cambió de etapa", "Deal changed stage";
        ev_deal_updated: "Se actualizó el negocio", "Deal updated";
        ev_task_created: "Se creó una tarea", "Task created";
        ev_task_completed: "Se completó una tarea", "Task completed";
        ev_form_submitted: "Envió un formulario", "Submitted a form";
        ev_form_created: "Se creó un formulario", "Form created";
        ev_form_updated: "Se editó un formulario", "Form edited";
        ev_form_deleted: "Se eliminó un formulario", "Form deleted";
        ev_appointment_booked: "Agendó una cita", "Booked an appointment";
        ev_appointment_requested: "Pidió una cita", "Requested an appointment";
        ev_appointment_rescheduled: "Reprogramó una cita", "Rescheduled an appointment";
        ev_appointment_cancelled: "Canceló una cita", "Cancelled an appointment";
        ev_appointment_confirmed: "Se confirmó una cita", "An appointment was confirmed";
        ev_appointment_completed: "Asistió a una cita", "Attended an appointment";
        ev_appointment_no_show: "No asistió a una cita", "Missed an appointment";
        ev_membership_created: "Se creó una membresía", "Membership created";
        ev_membership_updated: "Se actualizó una membresía", "Membership updated";
        ev_membership_renewed: "Se renovó una membresía", "Membership renewed";
        ev_membership_cancelled: "Se canceló una membresía", "Membership cancelled";
        ev_membership_expiring: "Una membresía está por vencer", "Membership about to expire";
        ev_membership_expired: "Venció una membresía", "Membership expired";
        ev_payment_failed: "Falló un pago", "Payment failed";
        ev_retention_opened: "Se abrió una alerta de retención", "Retention alert opened";
        ev_retention_escalated: "Subió el riesgo de una alerta de retención", "Retention alert escalated";
        ev_retention_assigned: "Se asignó una alerta de retención", "Retention alert assigned";
        ev_retention_status: "Cambió una alerta de retención", "Retention alert updated";
        ev_retention_resolved: "Se resolvió una alerta de retención", "Retention alert resolved";
        ev_retention_dismissed: "Se descartó una alerta de retención", "Retention alert dismissed";
        ev_message_inbound: "Envió un mensaje", "Sent a message";
        ev_call_completed: "Terminó una llamada", "A call ended";
        ev_message_sent: "Se le escribió desde la bandeja", "Written to from the inbox";
        ev_conversation_assigned: "Se asignó su conversación", "Conversation assigned";
        ev_conversation_status: "Se cerró o reabrió su conversación", "Conversation closed or reopened";
        ev_pipeline_created: "Se creó un embudo", "Pipeline created";
        ev_pipeline_renamed: "Se renombró un embudo", "Pipeline renamed";
        ev_pipeline_booked_stage_set: "Se eligió la etapa de cita agendada", "Booked stage chosen";
        ev_pipeline_stages_reordered: "Se reordenaron las etapas", "Stages reordered";
        ev_stage_created: "Se creó una etapa", "Stage created";
        ev_stage_updated: "Se editó una etapa", "Stage edited";
        ev_stage_deleted: "Se eliminó una etapa", "Stage deleted";
        ev_member_joined: "Se unió un miembro", "A member joined";
        ev_member_role_changed: "Cambió el rol de un miembro", "A member's role changed";
        ev_workspace_updated: "Se actualizó el espacio de trabajo", "Workspace updated";
        provider_outbox: "bandeja de salida integrada", "built-in outbox";
        job_system_mail: "Correo del sistema", "System email";
        job_dispatch_event: "Reparto de un evento", "Event dispatch";
        job_automation_route: "Ruteo de automatizaciones", "Automation routing";
        job_automation_step: "Paso de automatización", "Automation step";
        job_automation_sweep: "Revisión periódica de automatizaciones", "Periodic automation check";
        job_send_message: "Envío de mensaje", "Message send";
        job_whatsapp_fallback: "SMS de respaldo de WhatsApp", "WhatsApp fallback SMS";
        job_booking_notice: "Aviso de una cita (confirmación, cambio, recordatorio)", "Booking notice (confirmation, change, reminder)";
        job_sync_busy_feed: "Lectura del calendario externo de un miembro", "Reading a member's external calendar";
        job_sync_busy_feeds: "Lectura de los calendarios externos", "Reading the external calendars";
        job_deliver_webhook: "Entrega de webhook", "Webhook delivery";
        job_check_memberships: "Revisión diaria de membresías", "Daily membership check";
        job_check_retention: "Revisión diaria de retención", "Daily retention check";
        job_refresh_reports: "Recuento de los informes", "Reports recount";
        mb_trial: "Prueba", "Trial";
        mb_active: "Activa", "Active";
        mb_past_due: "Pago pendiente", "Past due";
        mb_cancelled: "Cancelada", "Cancelled";
        mb_expired: "Vencida", "Expired";
        at_no_attendance: "Sin asistencia", "No attendance";
        at_membership_expiring: "Membresía por vencer", "Membership expiring";
        at_low_bookings: "Pocas reservas", "Few bookings";
        at_payment_failed: "Pago fallido", "Payment failed";
        at_high_cancellation_rate: "Muchas cancelaciones", "Many cancellations";
        as_open: "Abierta", "Open";
        as_in_progress: "En curso", "In progress";
        as_resolved: "Resuelta", "Resolved";
        as_dismissed: "Descartada", "Dismissed";
        job_import_contacts: "Importación de contactos", "Contact import";
        job_import_records: "Importación de actividades o membresías", "Import of activities or memberships";
        job_cleanup_sessions: "Limpieza de sesiones", "Session cleanup";
        job_prune_jobs: "Limpieza de trabajos antiguos", "Old job cleanup";
        job_purge_audit_log: "Limpieza del registro de auditoría", "Audit log cleanup";
        job_backfill_threshold: "Contactos que ya superan un umbral nuevo", "Contacts already above a new threshold";
        job_decay_scores: "Descuento de puntaje por inactividad", "Score decay for inactivity";
        job_recalculate_scores: "Recálculo de puntuaciones", "Score recalculation";
        job_notification_email: "Correo de una notificación", "Notification email";
        job_queue_digests: "Revisión de resúmenes diarios", "Daily digest check";
        job_send_digest: "Resumen diario por correo", "Daily digest email";
        job_diag_noop: "Diagnóstico: nada", "Diagnostics: no-op";
        job_diag_http: "Diagnóstico: petición HTTP", "Diagnostics: HTTP request";
        job_diag_record: "Diagnóstico: registro", "Diagnostics: record";
        job_diag_fail: "Diagnóstico: fallo", "Diagnostics: failure";
    }
}

impl VocabTr {
    pub fn channel_label(&self, c: Channel) -> &'static str {
        match c {
            Channel::Email => self.ch_email,
            Channel::Sms => self.ch_sms,
            Channel::WhatsApp => self.ch_whatsapp,
            Channel::Voice => self.ch_voice,
            Channel::Kommo => self.ch_kommo,
            Channel::Webhook => self.ch_webhook,
        }
    }

    pub fn message_status_label(&self, s: MessageStatus) -> &'static str {
        match s {
            MessageStatus::Queued => self.ms_queued,
            MessageStatus::Sending => self.ms_sending,
            MessageStatus::Sent => self.ms_sent,
            MessageStatus::Delivered => self.ms_delivered,
            MessageStatus::Undelivered => self.ms_undelivered,
            MessageStatus::Failed => self.ms_failed,
            MessageStatus::Opened => self.ms_opened,
            MessageStatus::Clicked => self.ms_clicked,
            MessageStatus::Replied => self.ms_replied,
            MessageStatus::Skipped => self.ms_skipped,
        }
    }

    pub fn enrollment_status_label(&self, s: EnrollmentStatus) -> &'static str {
        match s {
            EnrollmentStatus::Active => self.en_active,
            EnrollmentStatus::Waiting => self.en_waiting,
            EnrollmentStatus::Paused => self.en_paused,
            EnrollmentStatus::Completed => self.en_completed,
            EnrollmentStatus::Exited => self.en_exited,
            EnrollmentStatus::Failed => self.en_failed,
        }
    }

    pub fn step_run_status_label(&self, s: StepRunStatus) -> &'static str {
        match s {
            StepRunStatus::Done => self.sr_done,
            StepRunStatus::Skipped => self.sr_skipped,
            StepRunStatus::Failed => self.sr_failed,
            StepRunStatus::Waiting => self.sr_waiting,
            StepRunStatus::Exited => self.sr_exited,
        }
    }

    pub fn event_kind_label(&self, k: EventKind) -> &'static str {
        match k {
            EventKind::ContactCreated => self.ev_contact_created,
            EventKind::ContactUpdated => self.ev_contact_updated,
            EventKind::ContactEmailAdded => self.ev_contact_email_added,
            EventKind::ContactDeleted => self.ev_contact_deleted,
            EventKind::ContactErased => self.ev_contact_erased,
            EventKind::ContactScoreChanged => self.ev_contact_score_changed,
            EventKind::ContactFirstVisit => self.ev_contact_first_visit,
            EventKind::ActivityRecorded => self.ev_activity_recorded,
            EventKind::ScoreThresholdEntered => self.ev_score_threshold_entered,
            EventKind::ScoreThresholdExited => self.ev_score_threshold_exited,
            EventKind::TagAdded => self.ev_tag_added,
            EventKind::TagRemoved => self.ev_tag_removed,
            EventKind::NoteAdded => self.ev_note_added,
            EventKind::DealCreated => self.ev_deal_created,
            EventKind::DealStageChanged => self.ev_deal_stage_changed,
            EventKind::DealUpdated => self.ev_deal_updated,
            EventKind::TaskCreated => self.ev_task_created,
            EventKind::TaskCompleted => self.ev_task_completed,
            EventKind::FormSubmitted => self.ev_form_submitted,
            EventKind::FormCreated => self.ev_form_created,
            EventKind::FormUpdated => self.ev_form_updated,
            EventKind::FormDeleted => self.ev_form_deleted,
            EventKind::AppointmentBooked => self.ev_appointment_booked,
            EventKind::AppointmentRequested => self.ev_appointment_requested,
            EventKind::AppointmentRescheduled => self.ev_appointment_rescheduled,
            EventKind::AppointmentCancelled => self.ev_appointment_cancelled,
            EventKind::AppointmentConfirmed => self.ev_appointment_confirmed,
            EventKind::AppointmentCompleted => self.ev_appointment_completed,
            EventKind::AppointmentNoShow => self.ev_appointment_no_show,
            EventKind::MembershipCreated => self.ev_membership_created,
            EventKind::MembershipUpdated => self.ev_membership_updated,
            EventKind::MembershipRenewed => self.ev_membership_renewed,
            EventKind::MembershipCancelled => self.ev_membership_cancelled,
            EventKind::MembershipExpiring => self.ev_membership_expiring,
            EventKind::MembershipExpired => self.ev_membership_expired,
            EventKind::PaymentFailed => self.ev_payment_failed,
            EventKind::RetentionAlertOpened => self.ev_retention_opened,
            EventKind::RetentionAlertEscalated => self.ev_retention_escalated,
            EventKind::RetentionAlertAssigned => self.ev_retention_assigned,
            EventKind::RetentionAlertStatusChanged => self.ev_retention_status,
            EventKind::RetentionAlertResolved => self.ev_retention_resolved,
            EventKind::RetentionAlertDismissed => self.ev_retention_dismissed,
            EventKind::MessageInbound => self.ev_message_inbound,
            EventKind::CallCompleted => self.ev_call_completed,
            EventKind::MessageSent => self.ev_message_sent,
            EventKind::ConversationAssigned => self.ev_conversation_assigned,
            EventKind::ConversationStatusChanged => self.ev_conversation_status,
            EventKind::PipelineCreated => self.ev_pipeline_created,
            EventKind::PipelineRenamed => self.ev_pipeline_renamed,
            EventKind::PipelineBookedStageSet => self.ev_pipeline_booked_stage_set,
            EventKind::PipelineStagesReordered => self.ev_pipeline_stages_reordered,
            EventKind::StageCreated => self.ev_stage_created,
            EventKind::StageUpdated => self.ev_stage_updated,
            EventKind::StageDeleted => self.ev_stage_deleted,
            EventKind::MemberJoined => self.ev_member_joined,
            EventKind::MemberRoleChanged => self.ev_member_role_changed,
            EventKind::WorkspaceUpdated => self.ev_workspace_updated,
        }
    }

    pub fn alert_type_label(&self, t: AlertType) -> &'static str {
        match t {
            AlertType::NoAttendance => self.at_no_attendance,
            AlertType::MembershipExpiring => self.at_membership_expiring,
            AlertType::LowBookings => self.at_low_bookings,
            AlertType::PaymentFailed => self.at_payment_failed,
            AlertType::HighCancellationRate => self.at_high_cancellation_rate,
        }
    }

    /// The label of a stored alert type (unchanged when unknown).
    pub fn alert_type_text<'a>(&self, stored: &'a str) -> &'a str {
        AlertType::parse(stored).map_or(stored, |t| self.alert_type_label(t))
    }

    pub fn alert_status_label(&self, s: AlertStatus) -> &'static str {
        match s {
            AlertStatus::Open => self.as_open,
            AlertStatus::InProgress => self.as_in_progress,
            AlertStatus::Resolved => self.as_resolved,
            AlertStatus::Dismissed => self.as_dismissed,
        }
    }

    /// The label of a stored alert status (unchanged when unknown).
    pub fn alert_status_text<'a>(&self, stored: &'a str) -> &'a str {
        AlertStatus::parse(stored).map_or(stored, |s| self.alert_status_label(s))
    }

    pub fn membership_status_label(&self, s: MembershipStatus) -> &'static str {
        match s {
            MembershipStatus::Trial => self.mb_trial,
            MembershipStatus::Active => self.mb_active,
            MembershipStatus::PastDue => self.mb_past_due,
            MembershipStatus::Cancelled => self.mb_cancelled,
            MembershipStatus::Expired => self.mb_expired,
        }
    }

    /// The label of a stored membership status, or the stored text.
    pub fn membership_status<'a>(&self, stored: &'a str) -> &'a str {
        MembershipStatus::parse(stored).map_or(stored, |s| self.membership_status_label(s))
    }

    /// A message's provider: vendors by their name, the built-in outbox
    /// in words.
    pub fn provider<'a>(&self, stored: &'a str) -> &'a str {
        if stored == "outbox" {
            self.provider_outbox
        } else {
            stored
        }
    }

    /// The label of a stored channel, or the stored text when unknown.
    pub fn channel<'a>(&self, stored: &'a str) -> &'a str {
        Channel::parse(stored).map_or(stored, |c| self.channel_label(c))
    }

    /// The label of a stored message status, or the stored text.
    pub fn message_status<'a>(&self, stored: &'a str) -> &'a str {
        MessageStatus::parse(stored).map_or(stored, |s| self.message_status_label(s))
    }

    /// The label of a stored enrolment status, or the stored text.
    pub fn enrollment_status<'a>(&self, stored: &'a str) -> &'a str {
        EnrollmentStatus::parse(stored).map_or(stored, |s| self.enrollment_status_label(s))
    }

    /// The label of a stored step-run status, or the stored text.
    pub fn step_run_status<'a>(&self, stored: &'a str) -> &'a str {
        StepRunStatus::parse(stored).map_or(stored, |s| self.step_run_status_label(s))
    }

    /// The label of a stored event kind; a custom event (`custom.paid`)
    /// shows its own name, which its author chose.
    pub fn event_kind<'a>(&self, stored: &'a str) -> &'a str {
        match EventKind::parse(stored) {
            Some(k) => self.event_kind_label(k),
            None => stored.strip_prefix("custom.").unwrap_or(stored),
        }
    }

    /// The label of a job kind (`af_core::jobs::KINDS`), or the kind.
    pub fn job_kind<'a>(&self, kind: &'a str) -> &'a str {
        use af_core::jobs::{self as j, JobPayload};
        match kind {
            j::SystemMail::KIND => self.job_system_mail,
            j::DispatchEvent::KIND => self.job_dispatch_event,
            j::AutomationRoute::KIND => self.job_automation_route,
            j::AutomationStep::KIND => self.job_automation_step,
            j::AutomationSweep::KIND => self.job_automation_sweep,
            j::SendMessage::KIND => self.job_send_message,
            j::WhatsappFallback::KIND => self.job_whatsapp_fallback,
            j::BookingNotice::KIND => self.job_booking_notice,
            j::SyncBusyFeed::KIND => self.job_sync_busy_feed,
            j::SyncBusyFeeds::KIND => self.job_sync_busy_feeds,
            j::DeliverWebhook::KIND => self.job_deliver_webhook,
            j::ImportContacts::KIND => self.job_import_contacts,
            j::ImportRecords::KIND => self.job_import_records,
            j::CheckMemberships::KIND => self.job_check_memberships,
            j::CheckRetention::KIND => self.job_check_retention,
            j::RefreshReports::KIND => self.job_refresh_reports,
            j::CleanupSessions::KIND => self.job_cleanup_sessions,
            j::PruneJobs::KIND => self.job_prune_jobs,
            j::PurgeAuditLog::KIND => self.job_purge_audit_log,
            j::BackfillThreshold::KIND => self.job_backfill_threshold,
            j::DecayScores::KIND => self.job_decay_scores,
            j::RecalculateScores::KIND => self.job_recalculate_scores,
            j::NotificationEmail::KIND => self.job_notification_email,
            j::QueueDigests::KIND => self.job_queue_digests,
            j::SendDigest::KIND => self.job_send_digest,
            j::DiagNoop::KIND => self.job_diag_noop,
            j::DiagHttp::KIND => self.job_diag_http,
            j::DiagRecord::KIND => self.job_diag_record,
            j::DiagFail::KIND => self.job_diag_fail,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use af_core::Locale;

    #[test]
    fn every_value_has_a_label_that_is_not_its_code() {
        for t in [&VOCAB_ES, &VOCAB_EN] {
            for c in Channel::ALL {
                assert!(!t.channel_label(*c).is_empty());
            }
            for s in MessageStatus::ALL {
                assert_ne!(t.message_status_label(*s), s.as_str());
            }
            for s in EnrollmentStatus::ALL {
                assert_ne!(t.enrollment_status_label(*s), s.as_str());
            }
            for s in StepRunStatus::ALL {
                assert_ne!(t.step_run_status_label(*s), s.as_str());
            }
            for k in EventKind::ALL {
                assert_ne!(t.event_kind_label(*k), k.as_str());
            }
            for s in MembershipStatus::ALL {
                assert_ne!(t.membership_status_label(*s), s.as_str());
            }
            for k in af_core::jobs::KINDS {
                assert_ne!(t.job_kind(k), *k, "job kind {k} has no label");
            }
        }
    }

    #[test]
    fn stored_text_reads_in_the_language_and_unknown_text_stays() {
        let es = VocabTr::get(Locale::Es);
        let en = VocabTr::get(Locale::En);
        assert_eq!(es.message_status("sent"), "Enviado");
        assert_eq!(es.message_status("skipped"), "Omitido");
        assert_eq!(en.message_status("skipped"), "Skipped");
        assert_eq!(es.enrollment_status("waiting"), "En espera");
        assert_eq!(es.event_kind("form.submitted"), "Envió un formulario");
        assert_eq!(en.event_kind("form.submitted"), "Submitted a form");
        assert_eq!(es.channel("voice"), "Llamada");
        assert_eq!(es.channel("whatsapp"), "WhatsApp");
        assert_eq!(es.event_kind("custom.paid"), "paid");
        assert_eq!(es.message_status("bounced"), "bounced");
    }
}
