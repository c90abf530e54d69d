//! The audit page's strings (Configuración → Auditoría).

crate::translations! {
    AuditTr, AUDIT_ES, AUDIT_EN {
        title: "Registro de auditoría", "Audit log";
        intro: "Cada cambio hecho en este espacio de trabajo: quién, qué, sobre qué registro, antes y después, y cómo resultó. No se puede editar ni borrar.", "Every change made in this workspace: who, what, on which record, before and after, and how it went. It cannot be edited or deleted.";
        filters: "Filtros", "Filters";
        actor: "Quién", "Who";
        actor_any: "Cualquiera", "Anyone";
        actor_user: "Persona", "Person";
        actor_api_key: "Clave de API", "API key";
        actor_system: "Sistema", "System";
        actor_public: "Visitante (formulario, reserva, captura)", "Visitor (form, booking, intake)";
        action: "Acción", "Action";
        action_hint: "p. ej. contact.updated", "e.g. contact.updated";
        entity_type: "Tipo de registro", "Record type";
        entity_id: "Id del registro", "Record id";
        from: "Desde", "From";
        to: "Hasta", "To";
        apply: "Filtrar", "Filter";
        clear: "Quitar filtros", "Clear filters";
        download: "Descargar (JSON lines)", "Download (JSON lines)";
        none: "No hay entradas con estos filtros.", "No entries match these filters.";
        when: "Cuándo", "When";
        what: "Qué", "What";
        record: "Registro", "Record";
        change: "Antes → después", "Before → after";
        result: "Resultado", "Result";
        channel: "Canal", "Channel";
        lead: "Lead", "Lead";
        more: "Más antiguas", "Older";
        retention: "Conservación", "Retention";
        retention_hint: "Las entradas más antiguas que esto se borran cada noche.", "Entries older than this are deleted every night.";
        retention_days: "Días", "Days";
        retention_save: "Guardar", "Save";
        retention_saved: "Conservación guardada.", "Retention saved.";
        retention_invalid: "Indica entre 1 y 3650 días.", "Enter between 1 and 3650 days.";
        retention_readonly: "Solo el propietario puede cambiarla.", "Only the owner can change it.";
        bad_filter: "Fecha no válida: usa AAAA-MM-DD.", "Invalid date: use YYYY-MM-DD.";
        message_prefix: "Mensaje", "Message";
        res_ok: "Correcto", "OK";
        res_failed: "Falló", "Failed";
        res_skipped: "Omitido", "Skipped";
        res_retry: "Se reintentará", "Will retry";
        res_denied: "Denegado", "Denied";
        ent_contact: "Contacto", "Contact";
        ent_message: "Mensaje", "Message";
        ent_deal: "Negocio", "Deal";
        ent_task: "Tarea", "Task";
        ent_workspace: "Espacio de trabajo", "Workspace";
    }
}

impl AuditTr {
    /// A stored result as read.
    pub fn result<'a>(&self, stored: &'a str) -> &'a str {
        match stored {
            "ok" => self.res_ok,
            "failed" => self.res_failed,
            "skipped" => self.res_skipped,
            "retry" => self.res_retry,
            "denied" => self.res_denied,
            other => other,
        }
    }

    /// A stored entity type as read.
    pub fn entity<'a>(&self, stored: &'a str) -> &'a str {
        match stored {
            "contact" => self.ent_contact,
            "message" => self.ent_message,
            "deal" => self.ent_deal,
            "task" => self.ent_task,
            "workspace" => self.ent_workspace,
            other => other,
        }
    }
}
