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
    }
}
