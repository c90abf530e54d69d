//! Strings of Settings → Webhooks (`/settings/webhooks`): outbound webhook
//! endpoints and their delivery log.

crate::translations! {
    WebhooksTr, WEBHOOKS_ES, WEBHOOKS_EN {
        title: "Webhooks", "Webhooks";
        intro: "Avisa a otros sistemas de lo que pasa en este espacio de trabajo: cada evento elegido se envía por POST, firmado según Standard Webhooks, a la URL de destino. Los envíos que fallan por un error del receptor (5xx, 429, tiempo agotado) se reintentan; tras 20 fallos seguidos el destino se desactiva hasta que lo reactives.", "Tell other systems what happens in this workspace: every chosen event is POSTed, signed per Standard Webhooks, to the destination URL. Deliveries that fail on the receiver's side (5xx, 429, timeout) are retried; after 20 failures in a row the endpoint is disabled until you re-enable it.";
        new_endpoint: "Nuevo webhook", "New webhook";
        url: "URL de destino", "Destination URL";
        url_hint: "Una dirección pública con https:// (o http://). Las direcciones privadas, locales y de metadatos de la nube se rechazan.", "A public address with https:// (or http://). Private, local and cloud metadata addresses are refused.";
        events: "Eventos", "Events";
        all_events: "Todos los eventos, también los que se añadan más adelante", "All events, including ones added later";
        create: "Crear webhook", "Create webhook";
        not_saved: "No se guardó nada: corrige lo marcado.", "Nothing was saved: fix what is marked.";
        secret_once: "Copia el secreto de firma ahora: no se volverá a mostrar.", "Copy the signing secret now: it will not be shown again.";
        secret_hint: "Con él, el receptor comprueba la cabecera webhook-signature de cada envío.", "With it, the receiver checks the webhook-signature header of every delivery.";
        endpoints: "Destinos", "Endpoints";
        no_endpoints: "Este espacio de trabajo todavía no tiene webhooks.", "This workspace has no webhooks yet.";
        status: "Estado", "Status";
        active: "Activo", "Active";
        disabled: "Desactivado", "Disabled";
        since: "desde", "since";
        failures_in_a_row: "fallos seguidos", "failures in a row";
        created: "Creado", "Created";
        deliveries: "Envíos", "Deliveries";
        delete: "Eliminar", "Delete";
        confirm_delete: "¿Eliminar este webhook y su historial de envíos? No se puede deshacer.", "Delete this webhook and its delivery log? This cannot be undone.";
        enable: "Reactivar", "Re-enable";
        msg_created: "Webhook creado.", "Webhook created.";
        msg_deleted: "Webhook eliminado.", "Webhook deleted.";
        msg_enabled: "Webhook reactivado: sus fallos seguidos vuelven a cero.", "Webhook re-enabled: its failures in a row are back to zero.";
        err_url_invalid: "Escribe una URL completa, por ejemplo https://example.com/webhooks.", "Enter a full URL, for example https://example.com/webhooks.";
        err_url_scheme: "Solo se admiten URL que empiecen por https:// o http://.", "Only URLs starting with https:// or http:// are allowed.";
        err_url_refused: "Esta URL lleva a una dirección privada, local o reservada ({addr}); no puede recibir webhooks.", "This URL leads to a private, local or reserved address ({addr}); it cannot receive webhooks.";
        err_url_unresolved: "No se encontró el servidor {host}: revisa la URL.", "The server {host} was not found: check the URL.";
        err_events_empty: "Elige al menos un evento, o todos.", "Choose at least one event, or all of them.";
        err_events_unknown: "Evento desconocido: {kind}.", "Unknown event: {kind}.";
        err_events_too_many: "Demasiados eventos: elige «Todos los eventos».", "Too many events: choose \"All events\".";
        back: "Volver a Webhooks", "Back to Webhooks";
        log: "Historial de envíos", "Delivery log";
        times_in: "Horas en la zona horaria del espacio de trabajo", "Times in the workspace time zone";
        when: "Fecha", "Time";
        event: "Evento", "Event";
        attempts: "Intentos", "Attempts";
        response: "Respuesta", "Response";
        error: "Error", "Error";
        next_retry: "Próximo intento", "Next retry";
        payload: "Ver contenido", "View payload";
        replay: "Reenviar", "Replay";
        msg_replayed: "El envío vuelve a estar en cola.", "The delivery is queued again.";
        no_deliveries: "Todavía no hay envíos a este destino.", "No deliveries to this endpoint yet.";
        newer: "Más recientes", "Newer";
        older: "Anteriores", "Older";
        page: "Página", "Page";
        st_pending: "Pendiente", "Pending";
        st_delivered: "Entregado", "Delivered";
        st_failed: "Fallido", "Failed";
    }
}
