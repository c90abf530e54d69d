//! Strings of lead scoring: the contact page's score, its "why" panel and
//! the log-activity form, the Contactos → Puntuación page (rules, limits,
//! thresholds) and its dashboard. Spanish and English, declared once.

crate::translations! {
    ScoringTr, SCORING_ES, SCORING_EN {
        title: "Puntuación", "Scoring";
        tab_rules: "Reglas", "Rules";
        tab_panel: "Panel", "Dashboard";
        intro: "Las reglas convierten lo que hace un contacto en puntos. Cambiar una regla aplica hacia adelante: los puntos ya dados se quedan.", "Rules turn what a contact does into points. Changing a rule applies going forward: points already given stay.";
        read_only: "Solo las personas propietarias o administradoras pueden cambiar las reglas.", "Only owners and admins can change the rules.";
        // The contact page.
        score: "Puntuación", "Score";
        fit: "Perfil", "Fit";
        engagement: "Interacción", "Engagement";
        why: "¿Por qué {n}?", "Why {n}?";
        no_lines: "Todavía no tiene puntos.", "No points yet.";
        view_activity: "Ver actividad", "View activity";
        rule_workflow: "Flujo de trabajo", "Workflow";
        rule_manual: "Ajuste manual", "Manual change";
        rule_deleted: "Regla eliminada", "Deleted rule";
        points_unit: "pts", "pts";
        log_heading: "Registrar actividad", "Log activity";
        f_type: "Tipo", "Type";
        custom_option: "Otro (personalizado)", "Other (custom)";
        f_custom_type: "Tipo personalizado", "Custom type";
        f_occurred: "Cuándo", "When";
        f_occurred_hint: "Vacío: ahora", "Empty: now";
        f_note: "Nota", "Note";
        f_amount: "Monto (compras)", "Amount (purchases)";
        f_currency: "Moneda", "Currency";
        log_button: "Registrar", "Log";
        logged: "Actividad registrada.", "Activity logged.";
        err_type: "Elige un tipo, o escribe uno de 1 a 64 letras minúsculas, números, «_» o «.».", "Choose a type, or type one of 1 to 64 lowercase letters, digits, '_' or '.'.";
        err_occurred: "Usa una fecha y hora como 2026-03-31T10:00.", "Use a date and time like 2026-03-31T10:00.";
        err_amount: "Una compra necesita un monto (por ejemplo 450.00) y una moneda de 3 letras.", "A purchase needs an amount (for example 450.00) and a 3-letter currency.";
        err_note: "La nota admite como máximo 2000 caracteres.", "The note takes at most 2000 characters.";
        err_other: "No se pudo registrar la actividad.", "The activity could not be logged.";
        activities: "Actividades", "Activities";
        no_activities: "Sin actividades.", "No activities.";
        trend_up: "sube {n} en 7 días", "up {n} in 7 days";
        trend_down: "baja {n} en 7 días", "down {n} in 7 days";
        trend_flat: "sin cambios en 7 días", "no change in 7 days";
        // Activity types.
        ty_visit: "Visita", "Visit";
        ty_class_booked: "Clase reservada", "Class booked";
        ty_appointment_attended: "Asistió a una cita", "Appointment attended";
        ty_purchase: "Compra", "Purchase";
        ty_email_opened: "Abrió un correo", "Email opened";
        ty_email_clicked: "Hizo clic en un correo", "Email link clicked";
        ty_message_replied: "Respondió un mensaje", "Replied to a message";
        ty_form_submitted: "Formulario enviado", "Form submitted";
        ty_appointment_booked: "Reservó una cita", "Appointment booked";
        ty_inactivity: "Inactividad (sin respuesta)", "Inactivity (no response)";
        // Rules.
        rules: "Reglas", "Rules";
        col_name: "Nombre", "Name";
        col_on: "Cuando", "When";
        col_points: "Puntos", "Points";
        col_frequency: "Frecuencia", "Frequency";
        col_group: "Grupo", "Group";
        col_actions: "Acciones", "Actions";
        no_rules: "Todavía no hay reglas.", "No rules yet.";
        no_filter: "sin filtro", "no filter";
        inactive: "pausada", "paused";
        freq_always: "Cada vez", "Every time";
        freq_once: "Una vez por contacto", "Once per contact";
        freq_every: "Como máximo cada {n} días", "At most every {n} days";
        freq_every_option: "Como máximo cada N días", "At most every N days";
        f_days: "Días (N)", "Days (N)";
        f_filter: "Filtro (opcional)", "Filter (optional)";
        f_filter_hint: "Una condición por línea: clave = valor, clave >= número o clave <= número. Ejemplo: amount >= 50000", "One condition per line: key = value, key >= number or key <= number. Example: amount >= 50000";
        f_active: "Activa", "Active";
        new_rule: "Nueva regla", "New rule";
        create_rule: "Crear regla", "Create rule";
        edit_rule: "Editar regla", "Edit rule";
        edit: "Editar", "Edit";
        save: "Guardar", "Save";
        cancel: "Cancelar", "Cancel";
        delete: "Eliminar", "Delete";
        delete_confirm: "¿Eliminar la regla? Los puntos ya dados se quedan en el historial.", "Delete the rule? Points already given stay in the history.";
        rule_created: "Regla creada.", "Rule created.";
        rule_saved: "Regla guardada.", "Rule saved.";
        rule_removed: "Regla eliminada.", "Rule deleted.";
        err_form: "Revisa los campos marcados.", "Check the marked fields.";
        err_name: "Escribe un nombre de 1 a 120 caracteres.", "Enter a name of 1 to 120 characters.";
        err_on_type: "Elige un tipo de actividad, o escribe uno de 1 a 64 letras minúsculas, números, «_» o «.».", "Choose an activity type, or type one of 1 to 64 lowercase letters, digits, '_' or '.'.";
        err_filter: "Cada línea es «clave = valor», «clave >= número» o «clave <= número» (máximo 20).", "Each line is 'key = value', 'key >= number' or 'key <= number' (at most 20).";
        err_points: "Escribe un número entero distinto de 0, entre -10000 y 10000.", "Enter a whole number other than 0, between -10000 and 10000.";
        err_frequency: "Elige una frecuencia; «cada N días» necesita de 1 a 3650 días, y una regla de inactividad la necesita siempre.", "Choose a frequency; 'every N days' needs 1 to 3650 days, and an inactivity rule always needs it.";
        err_group: "Elige perfil o interacción.", "Choose fit or engagement.";
        // Limits.
        limits: "Topes y mínimo", "Caps and floor";
        limits_intro: "Un tope detiene las ganancias de su grupo; el mínimo detiene las pérdidas. Vacío: sin tope.", "A cap stops its group's gains; the floor stops losses. Empty: no cap.";
        fit_cap: "Tope de perfil", "Fit cap";
        engagement_cap: "Tope de interacción", "Engagement cap";
        total_cap: "Tope total", "Total cap";
        floor: "Mínimo", "Floor";
        no_cap: "sin tope", "no cap";
        save_limits: "Guardar topes", "Save caps";
        limits_saved: "Topes guardados.", "Caps saved.";
        err_cap: "Un tope es un número entero de 0 a 1000000, o vacío.", "A cap is a whole number from 0 to 1000000, or empty.";
        err_floor: "El mínimo es un número entero entre -1000000 y el tope total.", "The floor is a whole number between -1000000 and the total cap.";
        // Thresholds.
        thresholds: "Umbrales", "Thresholds";
        thresholds_intro: "Un contacto entra al llegar a la entrada y sale solo al bajar a la salida, así no entra y sale sin parar.", "A contact enters on reaching the enter value and leaves only on falling to the exit value, so it does not flap in and out.";
        th_name: "Nombre", "Name";
        th_enter: "Entra con ≥", "Enters at ≥";
        th_exit: "Sale con ≤", "Leaves at ≤";
        th_create: "Crear umbral", "Create threshold";
        no_thresholds: "Todavía no hay umbrales.", "No thresholds yet.";
        threshold_created: "Umbral creado. Los contactos que ya lo superan entran en segundo plano.", "Threshold created. Contacts already above it enter in the background.";
        err_th_name: "Escribe un nombre de 1 a 120 caracteres que no use otro umbral.", "Enter a name of 1 to 120 characters that no other threshold uses.";
        err_th_enter: "Escribe un número entero.", "Enter a whole number.";
        err_th_exit: "Escribe un número entero menor que la entrada.", "Enter a whole number lower than the enter value.";
        // The dashboard.
        top_leads: "Mejores leads", "Top leads";
        col_contact: "Contacto", "Contact";
        col_score: "Puntuación", "Score";
        col_reason: "Último motivo", "Last reason";
        col_owner: "Responsable", "Owner";
        col_stage: "Etapa", "Stage";
        no_leads: "Todavía no hay contactos.", "No contacts yet.";
        no_owner: "Sin responsable", "No owner";
        no_stage: "Sin negocio", "No deal";
        distribution: "Distribución de puntuaciones", "Score distribution";
        chart_label: "Contactos por rango de puntuación", "Contacts per score range";
        col_range: "Rango", "Range";
        col_count: "Contactos", "Contacts";
        crossed: "Cruzaron un umbral esta semana", "Crossed a threshold this week";
        no_crossed: "Nadie cruzó un umbral en los últimos 7 días.", "Nobody crossed a threshold in the last 7 days.";
        col_threshold: "Umbral", "Threshold";
        col_when: "Cuándo", "When";
    }
}

impl ScoringTr {
    /// The label of a built-in activity type; `None` for a custom one
    /// (shown as the workspace named it).
    pub fn type_label(&self, t: &str) -> Option<&'static str> {
        Some(match t {
            "visit" => self.ty_visit,
            "class_booked" => self.ty_class_booked,
            "appointment_attended" => self.ty_appointment_attended,
            "purchase" => self.ty_purchase,
            "email_opened" => self.ty_email_opened,
            "email_clicked" => self.ty_email_clicked,
            "message_replied" => self.ty_message_replied,
            "form_submitted" => self.ty_form_submitted,
            "appointment_booked" => self.ty_appointment_booked,
            af_core::scoring::INACTIVITY => self.ty_inactivity,
            _ => return None,
        })
    }

    /// A type's label, or the custom type's own name.
    pub fn type_text(&self, t: &str) -> String {
        self.type_label(t)
            .map_or_else(|| t.to_string(), str::to_string)
    }

    /// "sube 12 en 7 días" / "baja 5 en 7 días".
    pub fn trend(&self, delta: i64) -> String {
        match delta {
            0 => self.trend_flat.to_string(),
            d if d > 0 => self.trend_up.replace("{n}", &d.to_string()),
            d => self.trend_down.replace("{n}", &d.abs().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use af_core::Locale;

    #[test]
    fn every_built_in_type_has_a_label_in_both_languages() {
        for locale in [Locale::Es, Locale::En] {
            let t = ScoringTr::get(locale);
            for ty in af_core::scoring::BUILT_IN_TYPES {
                assert!(t.type_label(ty).is_some(), "{ty}");
            }
            assert_eq!(t.type_text("yoga_class"), "yoga_class");
        }
        assert_eq!(SCORING_ES.trend(12), "sube 12 en 7 días");
        assert_eq!(SCORING_EN.trend(-5), "down 5 in 7 days");
    }
}
