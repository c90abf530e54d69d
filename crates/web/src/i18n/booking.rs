//! Strings of the public booking pages (`/book/...`): the workspace's list
//! of calendars, a calendar's month view, slots and questions, the
//! confirmation and the invitee's manage page, as visitors read them.

crate::translations! {
    BookingTr, BOOKING_ES, BOOKING_EN {
        calendars_title: "Agenda una cita", "Book a meeting";
        no_calendars: "Por ahora no hay calendarios disponibles.", "There are no calendars available right now.";
        open_calendar: "Ver horarios", "See times";
        minutes: "min", "min";
        duration: "Duración", "Duration";
        location: "Lugar", "Location";
        loc_in_person: "En persona", "In person";
        loc_phone: "Llamada telefónica", "Phone call";
        loc_video: "Videollamada", "Video call";
        loc_none: "Por definir", "To be arranged";
        time_zone: "Zona horaria", "Time zone";
        change_zone: "Cambiar", "Change";
        zone_note: "Los horarios se muestran en tu zona horaria.", "Times are shown in your time zone.";
        choose_day: "Elige un día", "Pick a day";
        choose_time: "Elige un horario", "Pick a time";
        prev_month: "Mes anterior", "Previous month";
        next_month: "Mes siguiente", "Next month";
        no_times_month: "No hay horarios libres este mes.", "No free times this month.";
        no_times_day: "No quedan horarios libres este día.", "No free times left on this day.";
        has_times: "con horarios libres", "with free times";
        your_details: "Tus datos", "Your details";
        book: "Agendar", "Book";
        errors_title: "Revisa los campos marcados.", "Please check the marked fields.";
        pick_a_time: "Elige un horario.", "Pick a time.";
        slot_taken: "Ese horario se acaba de ocupar. Estos siguen libres ese día:", "That time was just taken. These are still free that day:";
        slot_taken_none: "Ese horario se acaba de ocupar y no quedan otros ese día: elige otro día.", "That time was just taken and none are left that day: pick another day.";
        closed: "Este calendario no está recibiendo reservas.", "This calendar is not taking bookings.";
        booked_title: "¡Cita agendada!", "You're booked!";
        pending_title: "Solicitud recibida", "Request received";
        pending_note: "Tu cita queda pendiente hasta que el equipo la confirme. Te avisaremos.", "Your meeting is pending until the team confirms it. We'll let you know.";
        rescheduled_note: "Tu cita se cambió al nuevo horario.", "Your meeting was moved to the new time.";
        cancelled_note: "Tu cita fue cancelada.", "Your meeting was cancelled.";
        manage_title: "Tu cita", "Your meeting";
        when: "Cuándo", "When";
        status: "Estado", "Status";
        st_booked: "Confirmada", "Confirmed";
        st_pending: "Pendiente de confirmación", "Awaiting confirmation";
        st_cancelled: "Cancelada", "Cancelled";
        st_completed: "Realizada", "Completed";
        st_no_show: "No asistió", "Missed";
        add_google: "Agregar a Google Calendar", "Add to Google Calendar";
        download_ics: "Descargar invitación (.ics)", "Download invitation (.ics)";
        manage_link: "Enlace para cambiar o cancelar", "Link to change or cancel";
        manage_link_note: "Guarda este enlace: con él puedes cambiar o cancelar tu cita.", "Keep this link: it lets you change or cancel your meeting.";
        reschedule_title: "Cambiar de horario", "Change the time";
        reschedule_button: "Cambiar a este horario", "Move to this time";
        cancel_title: "Cancelar la cita", "Cancel the meeting";
        cancel_button: "Cancelar mi cita", "Cancel my meeting";
        cancel_confirm: "Si la cancelas, el horario queda libre para otra persona.", "If you cancel, the time becomes free for someone else.";
        past_cutoff_cancel: "Ya es muy tarde para cancelar en línea.", "It is too late to cancel online.";
        past_cutoff_reschedule: "Ya es muy tarde para cambiar el horario en línea.", "It is too late to change the time online.";
        too_many_reschedules: "Esta cita ya se cambió el máximo de veces permitido.", "This meeting has been moved as many times as allowed.";
        settled: "Esta cita ya no se puede cambiar.", "This meeting can no longer be changed.";
        contact_us: "Escríbenos y lo resolvemos.", "Write to us and we'll sort it out.";
        whatsapp_us: "Escribir por WhatsApp", "Message us on WhatsApp";
        email_us: "Escribir un correo", "Send us an email";
        book_again: "Agendar otra cita", "Book another meeting";
        widget_failed: "No pudimos agendar. Inténtalo de nuevo.", "We could not book it. Please try again.";
        sending: "Agendando…", "Booking…";
        back: "Volver", "Back";
    }
}

use af_core::Locale;

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_SHORT_ES: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
];
const MONTHS_SHORT_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS_ES: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn pick(list: &'static [&'static str], i: i8) -> &'static str {
    usize::try_from(i - 1)
        .ok()
        .and_then(|i| list.get(i))
        .copied()
        .unwrap_or("")
}

/// The month's name, `month` 1–12 ("marzo" / "March").
pub fn month_name(locale: Locale, month: i8) -> &'static str {
    match locale {
        Locale::Es => pick(&MONTHS_ES, month),
        Locale::En => pick(&MONTHS_EN, month),
    }
}

/// The month's short name ("mar" / "Mar").
pub fn month_short(locale: Locale, month: i8) -> &'static str {
    match locale {
        Locale::Es => pick(&MONTHS_SHORT_ES, month),
        Locale::En => pick(&MONTHS_SHORT_EN, month),
    }
}

/// The weekday's name, 1 = Monday … 7 = Sunday.
pub fn weekday_name(locale: Locale, weekday: i8) -> &'static str {
    match locale {
        Locale::Es => pick(&WEEKDAYS_ES, weekday),
        Locale::En => pick(&WEEKDAYS_EN, weekday),
    }
}

/// The month grid's column heads, Monday first.
pub fn weekday_initials(locale: Locale) -> [&'static str; 7] {
    match locale {
        Locale::Es => ["lu", "ma", "mi", "ju", "vi", "sá", "do"],
        Locale::En => ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"],
    }
}
