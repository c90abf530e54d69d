//! Strings of the calendars area as the team sees it: the calendar list,
//! the calendar editor (with its refusals), the agenda and the
//! appointment statuses and actions (also on the contact page).

crate::translations! {
    CalendarsTr, CALENDARS_ES, CALENDARS_EN {
        title: "Calendarios", "Calendars";
        agenda: "Agenda", "Agenda";
        calendars_tab: "Calendarios", "Calendars";
        new_calendar: "Nuevo calendario", "New calendar";
        no_calendars: "Aún no hay calendarios. Crea uno para que tus clientes agenden solos.", "No calendars yet. Create one so clients book by themselves.";
        name: "Nombre", "Name";
        slug: "Dirección (slug)", "Address (slug)";
        slug_hint: "Se usa en el enlace público; se sugiere a partir del nombre.", "Used in the public link; suggested from the name.";
        description: "Descripción", "Description";
        duration: "Duración", "Duration";
        hosts: "Anfitriones", "Hosts";
        active: "Activo", "Active";
        inactive: "Inactivo", "Inactive";
        public_link: "Enlace público", "Public link";
        copy: "Copiar", "Copy";
        copied: "Enlace copiado.", "Link copied.";
        edit: "Editar", "Edit";
        view: "Ver", "View";
        delete: "Eliminar", "Delete";
        delete_confirm: "¿Eliminar este calendario? Sus citas se conservan.", "Delete this calendar? Its appointments are kept.";
        save: "Guardar", "Save";
        saved: "Calendario guardado.", "Calendar saved.";
        deleted: "Calendario eliminado.", "Calendar deleted.";
        read_only: "Solo los administradores pueden modificar calendarios.", "Only admins can change calendars.";
        minutes_short: "min", "min";
        errors_title: "Revisa los campos marcados:", "Please check the marked fields:";
        // Sections of the editor.
        sec_basics: "Datos básicos", "Basics";
        sec_location: "Lugar", "Location";
        sec_times: "Duración y zona horaria", "Duration and time zone";
        sec_availability: "Disponibilidad semanal", "Weekly availability";
        sec_overrides: "Fechas especiales", "Date overrides";
        sec_limits: "Reglas de reserva", "Booking rules";
        sec_changes: "Cancelaciones y cambios", "Cancellations and changes";
        sec_reminders: "Recordatorios", "Reminders";
        sec_leads: "Leads nuevos", "New leads";
        sec_hosts: "Anfitriones y reparto", "Hosts and distribution";
        sec_questions: "Preguntas", "Questions";
        location_kind: "Tipo de lugar", "Location type";
        loc_in_person: "En persona", "In person";
        loc_phone: "Llamada telefónica", "Phone call";
        loc_video: "Videollamada", "Video call";
        loc_none: "Sin lugar", "No location";
        location: "Dirección, teléfono o enlace", "Address, phone or link";
        time_zone: "Zona horaria", "Time zone";
        duration_minutes: "Duración (minutos)", "Duration (minutes)";
        slot_interval_minutes: "Intervalo entre horarios (minutos, 0 = la duración)", "Slot interval (minutes, 0 = the duration)";
        weekday_1: "Lunes", "Monday";
        weekday_2: "Martes", "Tuesday";
        weekday_3: "Miércoles", "Wednesday";
        weekday_4: "Jueves", "Thursday";
        weekday_5: "Viernes", "Friday";
        weekday_6: "Sábado", "Saturday";
        weekday_7: "Domingo", "Sunday";
        from: "Desde", "From";
        until: "Hasta", "Until";
        add_window: "Agregar horario", "Add hours";
        remove_window: "Quitar", "Remove";
        availability_hint: "Deja las horas vacías para no atender ese día.", "Leave the times empty for a day without hours.";
        override_date: "Fecha", "Date";
        override_hint: "Una fecha sin horas es un día libre; con horas, reemplaza las de ese día.", "A date without times is a day off; with times, they replace that day's hours.";
        add_override: "Agregar fecha", "Add date";
        buffer_before_minutes: "Margen antes (minutos)", "Buffer before (minutes)";
        buffer_after_minutes: "Margen después (minutos)", "Buffer after (minutes)";
        min_notice_minutes: "Aviso mínimo (minutos)", "Minimum notice (minutes)";
        horizon_days: "Se puede reservar hasta (días)", "Bookable up to (days ahead)";
        daily_cap: "Máximo de citas por día (vacío = sin límite)", "Most bookings per day (empty = no limit)";
        requires_confirmation: "Las reservas requieren confirmación", "Bookings need confirmation";
        cancel_cutoff_minutes: "No se puede cancelar a menos de (minutos)", "No cancelling within (minutes)";
        reschedule_cutoff_minutes: "No se puede reprogramar a menos de (minutos)", "No rescheduling within (minutes)";
        max_reschedules: "Máximo de reprogramaciones", "Most reschedules";
        reminders_hint: "Cuánto antes de la cita se envía cada recordatorio.", "How long before the appointment each reminder goes out.";
        hours: "horas", "hours";
        minutes: "minutos", "minutes";
        add_reminder: "Agregar recordatorio", "Add reminder";
        stage: "Etapa del embudo", "Pipeline stage";
        default_stage: "La etapa «agendado» del embudo principal", "The main pipeline's booked stage";
        tags: "Etiquetas (separadas por comas)", "Tags (comma separated)";
        policy: "Reparto entre anfitriones", "Distribution among hosts";
        policy_owner: "El primer anfitrión libre", "The first free host";
        policy_availability: "Por disponibilidad (prioridad, luego quien lleva más tiempo sin cita)", "By availability (priority, then least recently booked)";
        policy_equal: "Reparto equitativo (según el peso)", "Equal distribution (by weight)";
        host: "Anfitrión", "Host";
        weight: "Peso", "Weight";
        priority: "Prioridad", "Priority";
        host_cap: "Máx. por día", "Most per day";
        own_hours: "Horario propio (opcional)", "Own hours (optional)";
        own_hours_hint: "Si lo llenas, este anfitrión solo atiende en estas horas.", "When filled in, this host only takes these hours.";
        hosts_hint: "Si no eliges a nadie, atiende el propietario del espacio.", "If nobody is chosen, the workspace owner hosts.";
        // Refusals (Problem codes).
        p_required_short: "Obligatorio, hasta 120 caracteres.", "Required, at most 120 characters.";
        p_slug_format: "Solo minúsculas, números y guiones (hasta 60).", "Lowercase letters, digits and dashes only (at most 60).";
        p_slug_taken: "Otro calendario ya usa esta dirección.", "Another calendar already uses this address.";
        p_unknown_zone: "Elige una zona horaria de la lista.", "Pick a time zone from the list.";
        p_five_minute_steps: "Usa múltiplos de 5 minutos.", "Use multiples of 5 minutes.";
        p_out_of_range: "Valor fuera del rango permitido.", "Value out of the allowed range.";
        p_not_a_number: "Escribe un número entero.", "Enter a whole number.";
        p_weekday_range: "Día de la semana inválido.", "Invalid weekday.";
        p_bad_window: "Cada horario necesita inicio y fin, y el fin después del inicio.", "Each window needs a start and an end, the end after the start.";
        p_bad_date: "Escribe la fecha como AAAA-MM-DD.", "Write the date as YYYY-MM-DD.";
        p_unknown_choice: "Elige una opción de la lista.", "Pick one of the options.";
        p_unknown_member: "Solo miembros de este espacio pueden ser anfitriones.", "Only members of this workspace can host.";
        p_unknown_stage: "Esa etapa no existe en este espacio.", "That stage does not exist in this workspace.";
        p_too_many_questions: "Hasta 20 preguntas.", "At most 20 questions.";
        p_question_key: "Cada pregunta necesita un nombre interno único (minúsculas, números y _), distinto de nombre, correo y teléfono.", "Each question needs a unique internal name (lowercase, digits and _), other than name, email and phone.";
        p_question_type: "Tipo de pregunta no válido.", "Invalid question type.";
        p_question_label: "Cada pregunta necesita una etiqueta de hasta 200 caracteres.", "Each question needs a label of at most 200 characters.";
        p_question_options: "Las listas necesitan de 1 a 50 opciones.", "Choice lists need 1 to 50 options.";
        p_question_mapping: "Una pregunta se guarda en un campo que no le corresponde.", "A question is saved to a field that does not suit it.";
        p_questions_json: "Las preguntas no se pudieron leer.", "The questions could not be read.";
        p_invalid: "Valor no válido.", "Invalid value.";
        // Agenda.
        view_week: "Semana", "Week";
        view_day: "Día", "Day";
        prev: "Anterior", "Previous";
        next: "Siguiente", "Next";
        today: "Hoy", "Today";
        all_hosts: "Todos los anfitriones", "All hosts";
        filter: "Filtrar", "Filter";
        no_appointments: "Sin citas.", "No appointments.";
        shown_in_zone: "Horas en {zone}.", "Times in {zone}.";
        via_calcom: "Cal.com", "Cal.com";
        // Statuses and actions.
        st_booked: "Agendada", "Booked";
        st_pending: "Por confirmar", "Awaiting confirmation";
        st_cancelled: "Cancelada", "Cancelled";
        st_rescheduled: "Reprogramada", "Rescheduled";
        st_completed: "Asistió", "Attended";
        st_no_show: "No asistió", "No-show";
        act_confirm: "Confirmar", "Confirm";
        act_complete: "Marcar como asistida", "Mark attended";
        act_no_show: "Marcar como no asistida", "Mark no-show";
        act_cancel: "Cancelar cita", "Cancel appointment";
        cancel_confirm: "¿Cancelar esta cita? El horario queda libre.", "Cancel this appointment? The time becomes free.";
        attended_q: "¿Asistió?", "Did they attend?";
        yes: "Sí", "Yes";
        no: "No", "No";
        status_changed: "Estado de la cita actualizado.", "Appointment status updated.";
        status_refused: "Esa cita ya no puede pasar a ese estado (quizá alguien la cambió).", "That appointment can no longer move to that status (someone may have changed it).";
        // Contact page.
        appointments: "Citas", "Appointments";
        upcoming: "Próximas", "Upcoming";
        past: "Pasadas", "Past";
        no_contact_appointments: "Este contacto no tiene citas.", "This contact has no appointments.";
        appointment_text: "{what}: {title}, {when}", "{what}: {title}, {when}";
    }
}

impl CalendarsTr {
    /// The label of a stored appointment status (never the code).
    pub fn status(&self, code: &str) -> &'static str {
        match code {
            "booked" => self.st_booked,
            "pending" => self.st_pending,
            "cancelled" => self.st_cancelled,
            "rescheduled" => self.st_rescheduled,
            "completed" => self.st_completed,
            "no_show" => self.st_no_show,
            _ => self.p_invalid,
        }
    }

    /// The message of a refused field (`af_service::calendars::Problem`).
    pub fn problem(&self, code: &str) -> &'static str {
        match code {
            "required_short" => self.p_required_short,
            "slug_format" => self.p_slug_format,
            "slug_taken" => self.p_slug_taken,
            "unknown_zone" => self.p_unknown_zone,
            "five_minute_steps" => self.p_five_minute_steps,
            "out_of_range" => self.p_out_of_range,
            "not_a_number" => self.p_not_a_number,
            "weekday_range" => self.p_weekday_range,
            "bad_window" => self.p_bad_window,
            "bad_date" => self.p_bad_date,
            "unknown_choice" => self.p_unknown_choice,
            "unknown_member" => self.p_unknown_member,
            "unknown_stage" => self.p_unknown_stage,
            "too_many_questions" => self.p_too_many_questions,
            "question_key" => self.p_question_key,
            "question_type" => self.p_question_type,
            "question_label" => self.p_question_label,
            "question_options" => self.p_question_options,
            "question_mapping" => self.p_question_mapping,
            "questions_json" => self.p_questions_json,
            _ => self.p_invalid,
        }
    }

    /// The name of weekday 1 (Monday) … 7.
    pub fn weekday(&self, n: u8) -> &'static str {
        match n {
            1 => self.weekday_1,
            2 => self.weekday_2,
            3 => self.weekday_3,
            4 => self.weekday_4,
            5 => self.weekday_5,
            6 => self.weekday_6,
            _ => self.weekday_7,
        }
    }
}
