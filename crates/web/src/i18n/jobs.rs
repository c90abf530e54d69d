//! Strings of the jobs area: the background jobs admin page
//! (`/settings/jobs`).

crate::translations! {
    JobsTr, JOBS_ES, JOBS_EN {
        title: "Trabajos en segundo plano", "Background jobs";
        intro: "Los trabajos que este espacio de trabajo pone en cola (envíos, importaciones, automatizaciones) y sus tareas periódicas. Los que fallan se reintentan solos con esperas crecientes; los que agotan sus intentos quedan aquí como fallidos definitivos hasta que los reintentes o descartes.", "The jobs this workspace queues (sends, imports, automations) and its periodic tasks. Failed jobs retry on their own with growing waits; those that use up their attempts stay here as dead letters until you retry or discard them.";
        operators_note: "Los trabajos del sistema (sin espacio de trabajo) y las tareas periódicas globales son cosa de los operadores del servidor: se ven y administran con la línea de comandos:", "System jobs (no workspace) and global periodic tasks are for the server's operators: they see and manage them from the command line:";
        back_to_settings: "Volver a Configuración", "Back to Settings";
        state_pending: "En cola", "Queued";
        state_running: "En ejecución", "Running";
        state_succeeded: "Completados", "Succeeded";
        state_dead: "Fallidos definitivos", "Dead letters";
        due_now: "Vencidos sin empezar", "Due, not started";
        oldest_due: "El más antiguo espera desde hace", "The oldest has waited for";
        nothing_due: "Nada pendiente: la cola está al día.", "Nothing waiting: the queue is up to date.";
        by_kind: "Por tipo", "By kind";
        kind: "Tipo", "Kind";
        no_jobs: "Este espacio de trabajo todavía no tiene trabajos.", "This workspace has no jobs yet.";
        failures: "Fallos", "Failures";
        failures_hint: "Fallidos definitivos y trabajos que esperan un reintento tras un error, los más recientes primero.", "Dead letters and jobs waiting to retry after an error, newest first.";
        no_failures: "Ningún fallo.", "No failures.";
        state: "Estado", "State";
        dead: "Fallido definitivo", "Dead letter";
        retrying_at: "Reintento", "Retry at";
        attempts: "Intentos", "Attempts";
        failed_at: "Falló", "Failed";
        error: "Error", "Error";
        retry: "Reintentar", "Retry";
        discard: "Descartar", "Discard";
        confirm_discard: "¿Descartar este trabajo? No se ejecutará.", "Discard this job? It will not run.";
        retry_all: "Reintentar todos", "Retry all";
        confirm_retry_all: "¿Volver a poner en cola todos los fallidos definitivos de este espacio de trabajo?", "Put every dead letter of this workspace back in the queue?";
        schedules: "Tareas periódicas", "Periodic tasks";
        schedules_hint: "Horas en la zona horaria del espacio de trabajo", "Times in the workspace time zone";
        no_schedules: "Este espacio de trabajo no tiene tareas periódicas propias.", "This workspace has no periodic tasks of its own.";
        name: "Nombre", "Name";
        cron: "Programación", "Schedule";
        last_run: "Última ejecución", "Last run";
        next_run: "Próxima ejecución", "Next run";
        never: "Nunca", "Never";
        disabled: "Desactivada", "Disabled";
        run_now: "Ejecutar ahora", "Run now";
        showing_latest: "Se muestran los 50 más recientes.", "Showing the latest 50.";
        msg_retried: "El trabajo vuelve a estar en cola.", "The job is queued again.";
        msg_not_retried: "No se reintentó: ya no es un fallido definitivo o el mismo trabajo ya está en cola.", "Not retried: it is no longer a dead letter, or the same work is queued already.";
        msg_discarded: "Trabajo descartado.", "Job discarded.";
        msg_not_discarded: "No se descartó: el trabajo está en ejecución o ya terminó.", "Not discarded: the job is running or already finished.";
        msg_retried_all: "Trabajos que vuelven a la cola:", "Jobs queued again:";
        msg_run_now: "Tarea en cola para ejecutarse ahora.", "Task queued to run now.";
        msg_run_now_dup: "Esa tarea ya estaba en cola para ejecutarse ahora.", "That task was already queued to run now.";
    }
}
