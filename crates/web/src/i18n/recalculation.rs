//! Strings of "recalculate scores" (the scoring page's button and its
//! progress).

crate::translations! {
    RecalcTr, RECALC_ES, RECALC_EN {
        title: "Recalcular puntuaciones", "Recalculate scores";
        hint: "Vuelve a puntuar todas las actividades de cada contacto con las reglas actuales. Los cambios de reglas se aplican hacia adelante; recalcula para aplicarlos también al pasado. Los puntos de automatizaciones y del descuento por inactividad se conservan.", "Scores every contact's activities again under the current rules. Rule changes apply going forward; recalculate to apply them to the past too. Points from automations and from decay for lack of activity are kept.";
        start: "Recalcular", "Recalculate";
        progress: "Progreso del recálculo", "Recalculation progress";
        contacts: "contactos", "contacts";
        changed: "Contactos con otra puntuación", "Contacts whose score changed";
        status_queued: "En cola", "Queued";
        status_running: "Recalculando", "Recalculating";
        status_done: "Terminado", "Finished";
        already_running: "Ya hay un recálculo en curso; mostramos su progreso.", "A recalculation is already running; here is its progress.";
        finished_at: "Terminado el", "Finished on";
    }
}
