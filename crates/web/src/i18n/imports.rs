//! Strings of the imports area: CSV import (upload, mapping, progress,
//! report), exports and the GDPR actions.

use af_core::csv_io::Field;
use af_core::csv_records::{Column, ImportKind};

crate::translations! {
    ImportsTr, IMPORTS_ES, IMPORTS_EN {
        title: "Importar datos", "Import data";
        upload_title: "Sube un archivo CSV", "Upload a CSV file";
        upload_hint: "UTF-8 (\"CSV UTF-8\" en Excel), separado por comas o punto y coma, con una fila de encabezados. Máximo 1 MB por archivo; para archivos más grandes usa `agencyflow import contacts`.", "UTF-8 (\"CSV UTF-8\" in Excel), comma or semicolon separated, with a header row. Up to 1 MB per file; for bigger files use `agencyflow import contacts`.";
        file: "Archivo", "File";
        upload: "Subir y asignar columnas", "Upload and map columns";
        recent: "Importaciones recientes", "Recent imports";
        no_imports: "Aún no hay importaciones.", "No imports yet.";
        mapping_title: "Asigna las columnas", "Map the columns";
        mapping_hint: "Sugerimos un campo para cada columna según su encabezado. Los contactos se unen por correo y, si no hay, por teléfono: una fila repetida actualiza el mismo contacto.", "We suggest a field for each column from its header. Contacts are matched by email, else by phone: a repeated row updates the same contact.";
        column: "Columna", "Column";
        field: "Campo", "Field";
        examples: "Ejemplos", "Examples";
        preview: "Vista previa (primeras filas)", "Preview (first rows)";
        fire_triggers: "Disparar automatizaciones", "Fire automations";
        fire_triggers_hint: "Si lo marcas, los contactos importados cuentan como nuevos leads para las automatizaciones.", "When checked, imported contacts count as new leads for automations.";
        start: "Importar", "Import";
        cancel: "Cancelar", "Cancel";
        rows: "filas", "rows";
        status: "Estado", "Status";
        date: "Fecha", "Date";
        status_uploaded: "Esperando asignación", "Waiting for mapping";
        status_queued: "En cola", "Queued";
        status_running: "Importando…", "Importing…";
        status_done: "Terminada", "Finished";
        status_failed: "Falló", "Failed";
        progress: "Progreso", "Progress";
        processed: "Procesadas", "Processed";
        created: "Creados", "Created";
        updated: "Actualizados", "Updated";
        rejected: "Rechazadas", "Rejected";
        rejected_rows: "Filas rechazadas", "Rejected rows";
        row: "Fila", "Row";
        reason: "Motivo", "Reason";
        value: "Valor", "Value";
        more_rejected: "Y más filas rechazadas (el informe guarda las primeras 1000).", "And more rejected rows (the report keeps the first 1000).";
        file_error: "No se pudo leer el archivo", "The file could not be read";
        back_to_contacts: "Volver a contactos", "Back to contacts";
        new_import: "Nueva importación", "New import";
        export_title: "Exportar", "Export";
        export_contacts_csv: "Contactos (CSV)", "Contacts (CSV)";
        export_contacts_jsonl: "Contactos (JSON lines)", "Contacts (JSON lines)";
        export_deals_csv: "Negocios (CSV)", "Deals (CSV)";
        export_deals_jsonl: "Negocios (JSON lines)", "Deals (JSON lines)";
        err_no_file: "Elige un archivo CSV.", "Choose a CSV file.";
        err_too_big: "El archivo es demasiado grande (máximo 1 MB).", "The file is too big (1 MB at most).";
        err_not_utf8: "El archivo no es texto UTF-8. En Excel, guárdalo como \"CSV UTF-8\".", "The file is not UTF-8 text. In Excel, save it as \"CSV UTF-8\".";
        err_empty: "El archivo está vacío o no tiene encabezados.", "The file is empty or has no header row.";
        err_too_many_columns: "El archivo tiene demasiadas columnas (máximo 200).", "The file has too many columns (200 at most).";
        err_malformed: "El CSV está mal formado.", "The CSV is malformed.";
        err_mapping_twice: "Cada campo se puede asignar a una sola columna.", "Each field can be mapped to one column only.";
        err_mapping_key: "Asigna una columna a correo o a teléfono.", "Map a column to email or phone.";
        err_mapping_bad: "La asignación de columnas no es válida.", "The column mapping is not valid.";
        err_not_waiting: "Esta importación ya empezó.", "This import has already started.";
        err_format: "Formato de exportación desconocido (usa csv o jsonl).", "Unknown export format (use csv or jsonl).";
        err_filter: "Un filtro no es válido.", "A filter is not valid.";
        err_ids: "Selecciona al menos un contacto válido.", "Select at least one valid contact.";
        reason_invalid_email: "Correo no válido", "Invalid email";
        reason_invalid_phone: "Teléfono no válido", "Invalid phone";
        reason_no_email_or_phone: "Sin correo ni teléfono", "No email or phone";
        reason_invalid_custom: "Valor no válido para un campo personalizado", "Invalid custom field value";
        reason_invalid_field: "Texto demasiado largo o con caracteres de control", "Text too long or with control characters";
        reason_invalid_lifecycle: "Etapa de vida desconocida", "Unknown lifecycle status";
        reason_invalid_tag: "Etiqueta no válida", "Invalid tag";
        reason_conflict: "El correo y el teléfono son de dos contactos distintos", "The email and the phone belong to two different contacts";
        reason_malformed_row: "Fila mal formada (comillas sin cerrar)", "Malformed row (unclosed quotes)";
        reason_other: "Fila rechazada", "Row rejected";
        field_ignore: "— No importar —", "— Do not import —";
        field_first_name: "Nombre", "First name";
        field_last_name: "Apellidos", "Last name";
        field_full_name: "Nombre completo", "Full name";
        field_email: "Correo", "Email";
        field_phone: "Teléfono", "Phone";
        field_company: "Empresa", "Company";
        field_source: "Fuente", "Source";
        field_lifecycle: "Etapa de vida", "Lifecycle";
        field_tags: "Etiquetas (separadas por , o |)", "Tags (separated by , or |)";
        field_referrer: "Referente", "Referrer";
        field_landing_page: "Página de aterrizaje", "Landing page";
        field_custom: "Campo personalizado", "Custom field";
        kind_legend: "¿Qué importas?", "What are you importing?";
        kind_contacts: "Contactos", "Contacts";
        kind_contacts_hint: "Personas: nombre, correo, teléfono, empresa, etiquetas, campos personalizados.", "People: name, email, phone, company, tags, custom fields.";
        kind_activities: "Actividades", "Activities";
        kind_activities_hint: "Lo que hicieron tus contactos (visitas, compras, clases): correo o teléfono, tipo, fecha; monto y moneda en las compras. Cuentan para la puntuación y pueden iniciar automatizaciones, igual que por la API.", "What your contacts did (visits, purchases, classes): email or phone, type, date; amount and currency for purchases. They count for scoring and may start automations, as through the API.";
        kind_memberships: "Membresías", "Memberships";
        kind_memberships_hint: "Suscripciones: correo o teléfono, plan, estado, inicio, fin o renovación, monto, ID externo (una fila con un ID ya importado la actualiza).", "Subscriptions: email or phone, plan, status, start, end or renewal, amount, external ID (a row with an ID already imported updates it).";
        kind: "Tipo", "Kind";
        mapping_hint_activities: "Sugerimos una columna para cada encabezado. Cada fila se une a su contacto por correo o teléfono (si no existe, se crea). Las fechas pueden ser 2026-12-01, 01/12/2026 o con hora (18:30), en la zona horaria del espacio.", "We suggest a column for each header. Each row is matched to its contact by email or phone (created when unknown). Dates may be 2026-12-01, 01/12/2026 or with a time (18:30), in the workspace's time zone.";
        mapping_hint_memberships: "Sugerimos una columna para cada encabezado. Cada fila se une a su contacto por correo o teléfono (si no existe, se crea). Estados: activa, prueba, pago pendiente, cancelada, vencida. Los montos se escriben como en la factura (499.00).", "We suggest a column for each header. Each row is matched to its contact by email or phone (created when unknown). Statuses: active, trial, past due, cancelled, expired. Amounts are written as on the invoice (499.00).";
        err_mapping_type: "Asigna una columna al tipo de actividad.", "Map a column to the activity type.";
        err_mapping_plan: "Asigna una columna al plan.", "Map a column to the plan.";
        err_mapping_contact: "Asigna una columna a correo, teléfono o ID de contacto.", "Map a column to email, phone or contact ID.";
        col_contact_id: "ID de contacto", "Contact ID";
        col_name: "Nombre (si se crea el contacto)", "Name (when the contact is created)";
        col_type: "Tipo de actividad", "Activity type";
        col_occurred_at: "Fecha y hora", "Date and time";
        col_amount: "Monto", "Amount";
        col_currency: "Moneda (MXN, USD…)", "Currency (MXN, USD…)";
        col_note: "Nota", "Note";
        col_idempotency_key: "ID único de la actividad", "Unique activity ID";
        col_plan: "Plan", "Plan";
        col_status: "Estado", "Status";
        col_starts_at: "Inicio", "Start";
        col_ends_at: "Fin o renovación", "End or renewal";
        col_external_id: "ID externo", "External ID";
        reason_unknown_contact: "Ningún contacto tiene ese ID", "No contact has that ID";
        reason_invalid_type: "Tipo de actividad no válido", "Invalid activity type";
        reason_invalid_date: "Fecha no válida", "Invalid date";
        reason_invalid_amount: "Monto no válido", "Invalid amount";
        reason_invalid_currency: "Moneda no válida", "Invalid currency";
        reason_invalid_plan: "Plan no válido", "Invalid plan";
        reason_invalid_status: "Estado no válido", "Invalid status";
        gdpr_title: "Privacidad (RGPD)", "Privacy (GDPR)";
        gdpr_export: "Descargar sus datos (JSON)", "Download their data (JSON)";
        gdpr_erase: "Borrar a esta persona", "Erase this person";
        gdpr_erase_confirm: "¿Borrar todos sus datos? No se puede deshacer: se eliminan el contacto, sus negocios, notas, tareas y mensajes. Solo se conserva una huella para respetar sus bajas.", "Erase all their data? This cannot be undone: the contact, their deals, notes, tasks and messages are deleted. Only a fingerprint is kept to honour their opt-outs.";
        gdpr_erased: "Los datos de la persona se borraron.", "The person's data was erased.";
    }
}

impl ImportsTr {
    /// The label of a mapping target.
    pub fn field_label(&self, f: &Field) -> String {
        match f {
            Field::Ignore => self.field_ignore.into(),
            Field::FirstName => self.field_first_name.into(),
            Field::LastName => self.field_last_name.into(),
            Field::FullName => self.field_full_name.into(),
            Field::Email => self.field_email.into(),
            Field::Phone => self.field_phone.into(),
            Field::Company => self.field_company.into(),
            Field::Source => self.field_source.into(),
            Field::Lifecycle => self.field_lifecycle.into(),
            Field::Tags => self.field_tags.into(),
            Field::Referrer => self.field_referrer.into(),
            Field::LandingPage => self.field_landing_page.into(),
            Field::UtmSource
            | Field::UtmMedium
            | Field::UtmCampaign
            | Field::UtmTerm
            | Field::UtmContent => f.name().into_owned(),
            Field::Custom(k) => format!("{}: {k}", self.field_custom),
        }
    }

    /// The label of a column of an activities or memberships file.
    pub fn column_label(&self, c: Column) -> &'static str {
        match c {
            Column::Ignore => self.field_ignore,
            Column::ContactId => self.col_contact_id,
            Column::Email => self.field_email,
            Column::Phone => self.field_phone,
            Column::Name => self.col_name,
            Column::Type => self.col_type,
            Column::OccurredAt => self.col_occurred_at,
            Column::Amount => self.col_amount,
            Column::Currency => self.col_currency,
            Column::Note => self.col_note,
            Column::IdempotencyKey => self.col_idempotency_key,
            Column::Plan => self.col_plan,
            Column::Status => self.col_status,
            Column::StartsAt => self.col_starts_at,
            Column::EndsAt => self.col_ends_at,
            Column::ExternalId => self.col_external_id,
        }
    }

    /// The name of what an import brings in.
    pub fn kind_label(&self, kind: &str) -> &'static str {
        match ImportKind::parse(kind) {
            Some(ImportKind::Activities) => self.kind_activities,
            Some(ImportKind::Memberships) => self.kind_memberships,
            _ => self.kind_contacts,
        }
    }

    /// The text of a rejection code.
    pub fn reason(&self, code: &str) -> &'static str {
        match code {
            "invalid_email" => self.reason_invalid_email,
            "invalid_phone" => self.reason_invalid_phone,
            "no_email_or_phone" => self.reason_no_email_or_phone,
            "invalid_custom" => self.reason_invalid_custom,
            "invalid_field" => self.reason_invalid_field,
            "invalid_lifecycle" => self.reason_invalid_lifecycle,
            "invalid_tag" => self.reason_invalid_tag,
            "conflict" => self.reason_conflict,
            "malformed_row" => self.reason_malformed_row,
            "unknown_contact" => self.reason_unknown_contact,
            "invalid_type" => self.reason_invalid_type,
            "invalid_date" => self.reason_invalid_date,
            "invalid_amount" => self.reason_invalid_amount,
            "invalid_currency" => self.reason_invalid_currency,
            "invalid_plan" => self.reason_invalid_plan,
            "invalid_status" => self.reason_invalid_status,
            _ => self.reason_other,
        }
    }

    /// The text of an import status.
    pub fn status(&self, status: &str) -> &'static str {
        match status {
            "uploaded" => self.status_uploaded,
            "queued" => self.status_queued,
            "running" => self.status_running,
            "failed" => self.status_failed,
            _ => self.status_done,
        }
    }
}
