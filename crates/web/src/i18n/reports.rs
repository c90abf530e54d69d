//! Strings of the dashboard, Informes and "Todas mis cuentas" (issue 19).
//! Spanish and English, declared once.

crate::translations! {
    ReportsTr, REPORTS_ES, REPORTS_EN {
        period: "Periodo", "Period";
        last_7: "7 días", "7 days";
        last_30: "30 días", "30 days";
        last_90: "90 días", "90 days";
        custom: "Otro periodo", "Custom period";
        from: "Desde", "From";
        to: "Hasta", "To";
        apply: "Aplicar", "Apply";
        pipeline: "Embudo", "Pipeline";
        period_shown: "Del {from} al {to}", "From {from} to {to}";
        bad_period: "Ese periodo no es válido: revisa las fechas (como máximo 366 días).", "That period is not valid: check the dates (366 days at most).";
        bad_filter: "Un filtro no es válido y se ha ignorado.", "A filter is not valid and was ignored.";
        leads_today: "Leads nuevos hoy", "New leads today";
        leads_7: "Leads nuevos, 7 días", "New leads, 7 days";
        leads_30: "Leads nuevos, 30 días", "New leads, 30 days";
        vs_previous: "{change} frente al periodo anterior ({before})", "{change} against the previous period ({before})";
        no_previous: "Sin leads en el periodo anterior", "No leads in the previous period";
        ch_leads_by_source: "Leads por origen", "Leads by source";
        ch_leads_by_dim: "Leads por {dim}", "Leads by {dim}";
        ch_leads_desc: "Leads nuevos cada día del periodo, por {dim}. Total: {total}.", "New leads each day of the period, by {dim}. Total: {total}.";
        ch_campaigns: "Leads por campaña", "Leads by campaign";
        ch_campaigns_desc: "Leads de cada campaña UTM en el periodo, por primer y último contacto.", "Leads of each UTM campaign in the period, by first and last touch.";
        ch_funnel: "Embudo de {pipeline}", "{pipeline} funnel";
        ch_funnel_desc: "Tratos en cada etapa ahora y cuántos llegaron al menos hasta ella.", "Deals in each stage now and how many got at least that far.";
        ch_runs: "Ejecuciones de automatizaciones", "Automation runs";
        ch_runs_desc: "Inscripciones iniciadas cada día y cuántas fallaron.", "Enrolments started each day and how many failed.";
        ch_messages: "Mensajes por canal y estado", "Messages by channel and status";
        ch_messages_desc: "Mensajes salientes creados en el periodo, por canal y por dónde están ahora.", "Outbound messages created in the period, by channel and where they are now.";
        ch_bookings: "Citas reservadas", "Appointments booked";
        ch_bookings_desc: "Citas reservadas cada día, por lo que pasó después.", "Appointments booked each day, by what happened next.";
        ch_workflows: "Resultado por automatización", "Outcome per automation";
        ch_workflows_desc: "Inscripciones del periodo de cada automatización, por resultado.", "Each automation's enrolments in the period, by outcome.";
        ch_accounts_leads: "Leads nuevos por cuenta", "New leads per account";
        ch_accounts_by_day: "Leads nuevos de todas las cuentas", "New leads across all accounts";
        ch_accounts_by_day_desc: "Leads nuevos de todas tus cuentas, sumados, cada día del periodo.", "New leads of all your accounts, summed, each day of the period.";
        ch_accounts_desc: "Leads nuevos y mensajes enviados de cada cuenta en el periodo.", "New leads and messages sent by each account in the period.";
        s_leads: "Leads", "Leads";
        s_deals: "Tratos ahora", "Deals now";
        s_reached: "Llegaron", "Reached";
        s_runs: "Iniciadas", "Started";
        s_failed_runs: "Fallidas", "Failed";
        s_failed_steps: "Pasos fallidos", "Failed steps";
        s_first_touch: "Primer contacto", "First touch";
        s_last_touch: "Último contacto", "Last touch";
        s_sent: "Mensajes enviados", "Messages sent";
        none: "(sin valor)", "(none)";
        other: "Otros", "Other";
        appointments: "Citas", "Appointments";
        upcoming: "Próximos 7 días", "Next 7 days";
        booked_week: "Reservadas esta semana", "Booked this week";
        see_calendars: "Ver calendarios", "See calendars";
        automations: "Automatizaciones", "Automations";
        runs_total: "{runs} iniciadas, {failed} fallidas, {steps} pasos fallidos", "{runs} started, {failed} failed, {steps} failed steps";
        top_scored: "Leads con más puntuación", "Top scored leads";
        no_scored: "Todavía no hay leads con puntuación.", "No scored leads yet.";
        points: "{n} puntos", "{n} points";
        alerts: "Alertas de retención abiertas", "Open retention alerts";
        no_alerts: "No hay alertas abiertas.", "No open alerts.";
        risk_band_90: "Riesgo 90 o más", "Risk 90 or more";
        risk_band_70: "Riesgo 70–89", "Risk 70–89";
        risk_band_50: "Riesgo 50–69", "Risk 50–69";
        risk_band_0: "Riesgo menor de 50", "Risk under 50";
        see_alerts: "Ver alertas", "See alerts";
        my_tasks: "Mis tareas para hoy", "My tasks for today";
        no_tasks: "Nada pendiente para hoy.", "Nothing due today.";
        overdue: "Vencida", "Overdue";
        see_reports: "Ver informes", "See reports";
        all_accounts: "Todas mis cuentas", "All my accounts";
        r_leads_by_source: "Orígenes y atribución", "Sources and attribution";
        r_funnel: "Embudo", "Funnel";
        r_automations: "Automatizaciones", "Automations";
        r_messages: "Mensajes", "Messages";
        r_bookings: "Citas", "Bookings";
        filters: "Filtros", "Filters";
        f_source: "Origen", "Source";
        f_campaign: "Campaña UTM", "UTM campaign";
        f_touch: "Atribución", "Attribution";
        touch_first: "Primer contacto", "First touch";
        touch_last: "Último contacto", "Last touch";
        f_dim: "Agrupar por", "Group by";
        dim_source: "origen", "source";
        dim_utm_source: "fuente UTM", "UTM source";
        dim_utm_medium: "medio UTM", "UTM medium";
        dim_utm_campaign: "campaña UTM", "UTM campaign";
        f_owner: "Responsable", "Owner";
        f_channel: "Canal", "Channel";
        f_form: "Formulario", "Form";
        f_calendar: "Calendario", "Calendar";
        any: "Todos", "All";
        download_csv: "Descargar CSV", "Download CSV";
        tables: "Detalle", "Details";
        t_values: "Leads por valor", "Leads per value";
        t_attribution: "Atribución por campaña UTM", "Attribution by UTM campaign";
        t_funnel: "Etapas", "Stages";
        t_won_lost: "Ganados y perdidos, con motivo", "Won and lost, with reason";
        t_won_lost_value: "Ganados y perdidos, valor", "Won and lost, value";
        t_workflows: "Por automatización", "Per automation";
        t_steps: "Por paso", "Per step";
        t_days: "Por día", "Per day";
        t_messages: "Por día y canal", "Per day and channel";
        t_providers: "Por canal y proveedor", "Per channel and provider";
        t_bookings: "Por día", "Per day";
        t_calendars: "Por calendario y anfitrión", "Per calendar and host";
        empty_table: "Sin datos en este periodo.", "No data in this period.";
        totals: "Totales", "Totals";
        accounts_intro: "Una fila por cada cuenta a la que perteneces, con las cifras del periodo. Entra en una cuenta desde su nombre.", "One row per account you belong to, with the period's figures. Open an account from its name.";
        a_account: "Cuenta", "Account";
        a_leads: "Leads nuevos", "New leads";
        a_booked: "Citas reservadas", "Booked";
        a_pipeline: "Valor en el embudo", "Pipeline value";
        a_sent: "Mensajes enviados", "Messages sent";
        a_failures: "Fallos", "Failures";
        a_alerts: "Alertas abiertas", "Open alerts";
        a_total: "Total", "Total";
        a_open: "Entrar", "Open";
        col_day: "Día", "Day";
        col_leads: "Leads", "Leads";
        col_share_pct: "% del total", "% of total";
        col_source: "Origen", "Source";
        col_utm_source: "Fuente UTM", "UTM source";
        col_utm_medium: "Medio UTM", "UTM medium";
        col_utm_campaign: "Campaña UTM", "UTM campaign";
        col_first_touch: "Primer contacto", "First touch";
        col_last_touch: "Último contacto", "Last touch";
        col_stage_id: "Id de etapa", "Stage id";
        col_stage: "Etapa", "Stage";
        col_kind: "Tipo", "Kind";
        col_deals: "Tratos", "Deals";
        col_reached: "Llegaron", "Reached";
        col_conversion_pct: "% desde la anterior", "% from previous";
        col_avg_days_in_stage: "Días en la etapa (media)", "Days in stage (average)";
        col_outcome: "Resultado", "Outcome";
        col_reason: "Motivo", "Reason";
        col_currency: "Moneda", "Currency";
        col_value: "Valor", "Value";
        col_workflow_id: "Id de automatización", "Automation id";
        col_workflow: "Automatización", "Automation";
        col_enrolled: "Inscritos", "Enrolled";
        col_in_progress: "En curso", "In progress";
        col_completed: "Completadas", "Completed";
        col_goal: "Salieron por objetivo", "Left by goal";
        col_exited: "Salieron", "Exited";
        col_failed: "Fallidos", "Failed";
        col_step: "Paso", "Step";
        col_runs: "Ejecuciones", "Runs";
        col_done: "Hechos", "Done";
        col_skipped: "Omitidos", "Skipped";
        col_waiting: "Esperando", "Waiting";
        col_drop_off_pct: "% que se quedó", "% dropped";
        col_failed_runs: "Inscripciones fallidas", "Failed enrolments";
        col_failed_steps: "Pasos fallidos", "Failed steps";
        col_channel: "Canal", "Channel";
        col_messages: "Mensajes", "Messages";
        col_queued: "En cola", "Queued";
        col_sent: "Enviados", "Sent";
        col_delivered: "Entregados", "Delivered";
        col_opened: "Abiertos", "Opened";
        col_clicked: "Con clic", "Clicked";
        col_replied: "Respondidos", "Replied";
        col_provider: "Proveedor", "Provider";
        col_delivery_rate_pct: "% entregados", "% delivered";
        col_reply_rate_pct: "% respondidos", "% replied";
        col_appointments: "Citas", "Appointments";
        col_booked: "Reservadas", "Booked";
        col_pending: "Por confirmar", "Pending";
        col_rescheduled: "Reprogramadas", "Rescheduled";
        col_cancelled: "Canceladas", "Cancelled";
        col_no_show: "No se presentó", "No-show";
        col_calendar: "Calendario", "Calendar";
        col_host: "Anfitrión", "Host";
        col_previous_period: "Periodo anterior", "Previous period";
        col_change_pct: "% de cambio", "% change";
        col_open_deals: "Tratos abiertos", "Open deals";
        col_won: "Ganados", "Won";
        col_lost: "Perdidos", "Lost";
        col_open: "Abierta", "Open";
    }
}

impl ReportsTr {
    /// The heading of a report table's column (`None` for columns named
    /// by the data itself: a source, a currency's value).
    pub fn column(&self, key: &str) -> Option<&'static str> {
        match key {
            "day" => Some(self.col_day),
            "leads" => Some(self.col_leads),
            "share_pct" => Some(self.col_share_pct),
            "source" => Some(self.col_source),
            "utm_source" => Some(self.col_utm_source),
            "utm_medium" => Some(self.col_utm_medium),
            "utm_campaign" => Some(self.col_utm_campaign),
            "first_touch" => Some(self.col_first_touch),
            "last_touch" => Some(self.col_last_touch),
            "stage_id" => Some(self.col_stage_id),
            "stage" => Some(self.col_stage),
            "kind" => Some(self.col_kind),
            "deals" => Some(self.col_deals),
            "reached" => Some(self.col_reached),
            "conversion_pct" => Some(self.col_conversion_pct),
            "avg_days_in_stage" => Some(self.col_avg_days_in_stage),
            "outcome" => Some(self.col_outcome),
            "reason" => Some(self.col_reason),
            "currency" => Some(self.col_currency),
            "value" => Some(self.col_value),
            "workflow_id" => Some(self.col_workflow_id),
            "workflow" => Some(self.col_workflow),
            "enrolled" => Some(self.col_enrolled),
            "in_progress" => Some(self.col_in_progress),
            "completed" => Some(self.col_completed),
            "goal" => Some(self.col_goal),
            "exited" => Some(self.col_exited),
            "failed" => Some(self.col_failed),
            "step" => Some(self.col_step),
            "runs" => Some(self.col_runs),
            "done" => Some(self.col_done),
            "skipped" => Some(self.col_skipped),
            "waiting" => Some(self.col_waiting),
            "drop_off_pct" => Some(self.col_drop_off_pct),
            "failed_runs" => Some(self.col_failed_runs),
            "failed_steps" => Some(self.col_failed_steps),
            "channel" => Some(self.col_channel),
            "messages" => Some(self.col_messages),
            "queued" => Some(self.col_queued),
            "sent" => Some(self.col_sent),
            "delivered" => Some(self.col_delivered),
            "opened" => Some(self.col_opened),
            "clicked" => Some(self.col_clicked),
            "replied" => Some(self.col_replied),
            "provider" => Some(self.col_provider),
            "delivery_rate_pct" => Some(self.col_delivery_rate_pct),
            "reply_rate_pct" => Some(self.col_reply_rate_pct),
            "appointments" => Some(self.col_appointments),
            "booked" => Some(self.col_booked),
            "pending" => Some(self.col_pending),
            "rescheduled" => Some(self.col_rescheduled),
            "cancelled" => Some(self.col_cancelled),
            "no_show" => Some(self.col_no_show),
            "calendar" => Some(self.col_calendar),
            "host" => Some(self.col_host),
            "previous_period" => Some(self.col_previous_period),
            "change_pct" => Some(self.col_change_pct),
            "open_deals" => Some(self.col_open_deals),
            "won" => Some(self.col_won),
            "lost" => Some(self.col_lost),
            "open" => Some(self.col_open),
            _ => None,
        }
    }
}
