//! Strings of the channels area: the public unsubscribe pages and the
//! automatic SMS answers.

crate::translations! {
    ChannelsTr, CHANNELS_ES, CHANNELS_EN {
        unsubscribe_title: "Darte de baja", "Unsubscribe";
        unsubscribe_intro: "¿Quieres dejar de recibir correos de marketing de", "Do you want to stop receiving marketing email from";
        unsubscribe_button: "Sí, darme de baja", "Yes, unsubscribe me";
        unsubscribe_note: "Seguirás recibiendo los mensajes necesarios, como confirmaciones de citas.", "You will still get the messages you need, such as booking confirmations.";
        unsubscribed_title: "Listo", "Done";
        unsubscribed_body: "Ya no recibirás correos de marketing de", "You will no longer receive marketing email from";
        sms_help: "Responde STOP para no recibir más mensajes o START para volver a recibirlos.", "Reply STOP to stop receiving messages or START to receive them again.";
    }
}

crate::translations! {
    ChannelSettingsTr, CHANNEL_SETTINGS_ES, CHANNEL_SETTINGS_EN {
        title: "Canales", "Channels";
        intro: "Las cuentas propias de este espacio de trabajo. Lo que dejes vacío usa la configuración del servidor; sin nada configurado, los mensajes quedan en la bandeja de salida integrada.", "This workspace's own accounts. Anything left empty uses the server's settings; with nothing configured, messages stay in the built-in outbox.";
        email: "Correo", "Email";
        email_intro: "Elige un proveedor de correo: SMTP, SendGrid o Brevo.", "Pick one email provider: SMTP, SendGrid or Brevo.";
        email_provider: "Proveedor de correo", "Email provider";
        email_provider_none: "Ninguno (bandeja de salida integrada)", "None (built-in outbox)";
        email_provider_help: "Al guardar, se borran las claves de los otros dos proveedores.", "When you save, the keys of the other two providers are deleted.";
        sms: "Twilio: SMS, WhatsApp y voz", "Twilio: SMS, WhatsApp and voice";
        kommo: "Kommo", "Kommo";
        f_email_from: "Correo del remitente", "Sender email";
        h_email_from: "La dirección desde la que salen los correos, p. ej. hola@tuagencia.com.", "The address emails are sent from, e.g. hello@youragency.com.";
        f_email_from_name: "Nombre del remitente", "Sender name";
        h_email_from_name: "Lo que ve el destinatario, p. ej. el nombre de tu agencia.", "What the recipient sees, e.g. your agency's name.";
        f_smtp_url: "Servidor SMTP", "SMTP server";
        h_smtp_url: "Como smtps://usuario:contraseña@smtp.tuproveedor.com:465 (o smtp:// con el puerto 587).", "Like smtps://user:password@smtp.yourprovider.com:465 (or smtp:// with port 587).";
        f_sendgrid_api_key: "Clave de API de SendGrid", "SendGrid API key";
        h_sendgrid_api_key: "La creas en SendGrid → Settings → API Keys, con permiso de envío (Mail Send).", "Create it in SendGrid → Settings → API Keys, with the Mail Send permission.";
        f_brevo_api_key: "Clave de API de Brevo", "Brevo API key";
        h_brevo_api_key: "La creas en Brevo → SMTP y API → Claves API.", "Create it in Brevo → SMTP & API → API Keys.";
        f_twilio_account_sid: "SID de la cuenta", "Account SID";
        h_twilio_account_sid: "Lo encuentras en la consola de Twilio → Account Info; empieza por AC.", "You find it in the Twilio console → Account Info; it starts with AC.";
        f_twilio_auth_token: "Token de autenticación", "Auth token";
        h_twilio_auth_token: "Lo encuentras en la consola de Twilio → Account Info.", "You find it in the Twilio console → Account Info.";
        f_twilio_sms_sender: "Número para SMS", "SMS number";
        h_twilio_sms_sender: "Un número de tu cuenta de Twilio, con prefijo de país: +15550001111.", "A number of your Twilio account, with the country prefix: +15550001111.";
        f_twilio_whatsapp_sender: "Número de WhatsApp", "WhatsApp number";
        h_twilio_whatsapp_sender: "El número aprobado para WhatsApp en Twilio, con prefijo de país.", "The number approved for WhatsApp in Twilio, with the country prefix.";
        f_twilio_caller_id: "Número para llamadas", "Number for calls";
        h_twilio_caller_id: "El número que verá quien reciba las llamadas automáticas.", "The number people see when automated calls reach them.";
        f_kommo_base_url: "Dirección de tu cuenta de Kommo", "Your Kommo account address";
        h_kommo_base_url: "Como https://tuempresa.kommo.com.", "Like https://yourcompany.kommo.com.";
        f_kommo_access_token: "Token de acceso de larga duración", "Long-lived access token";
        h_kommo_access_token: "En Kommo → Ajustes → Integraciones → tu integración privada → Claves y alcances.", "In Kommo → Settings → Integrations → your private integration → Keys and scopes.";
        f_kommo_pipeline_id: "Número del embudo", "Pipeline number";
        h_kommo_pipeline_id: "El número que aparece en la dirección del embudo en Kommo.", "The number in the pipeline's address in Kommo.";
        stored: "guardado", "saved";
        clear_field: "Borrar", "Delete";
        state_connected: "Conectado ✓", "Connected ✓";
        state_configured: "Configurado, sin envíos todavía", "Configured, nothing sent yet";
        state_unconfigured: "Sin configurar", "Not configured";
        state_error: "Error: {error}", "Error: {error}";
        state_error_unknown: "el proveedor rechazó el último envío", "the provider refused the last send";
        state_setup_error: "la configuración guardada no es válida", "the saved settings are not valid";
        quiet_hours: "Horario permitido para SMS, WhatsApp y llamadas (HH:MM-HH:MM)", "Allowed hours for SMS, WhatsApp and calls (HH:MM-HH:MM)";
        keep_hint: "Las claves guardadas nunca se muestran: déjalas vacías para conservarlas o marca «Borrar» para quitarlas.", "Saved keys are never shown: leave them empty to keep them, or tick «Delete» to remove them.";
        save: "Guardar", "Save";
        saved: "Canales guardados.", "Channels saved.";
        bad_quiet_hours: "El horario debe verse como 08:00-21:00.", "Hours must look like 08:00-21:00.";
        bad_kommo_url: "La URL de Kommo debe ser pública, como https://tuempresa.kommo.com (no se permiten direcciones internas).", "The Kommo URL must be public, like https://yourcompany.kommo.com (internal addresses are not allowed).";
        f_sendgrid_webhook_key: "Clave de verificación del webhook de eventos (SendGrid)", "Event webhook verification key (SendGrid)";
        h_sendgrid_webhook_key: "En SendGrid → Settings → Mail Settings → Event Webhook, activa «Signed Event Webhook» y pega aquí la clave de verificación. Sin ella, los eventos de SendGrid se rechazan.", "In SendGrid → Settings → Mail Settings → Event Webhook, turn on “Signed Event Webhook” and paste the verification key here. Without it, SendGrid's events are refused.";
        bad_sendgrid_webhook_key: "La clave de verificación de SendGrid no es válida: copia la clave pública completa (ECDSA) que muestra SendGrid.", "The SendGrid verification key is not valid: copy the whole public key (ECDSA) SendGrid shows.";
        webhooks_title: "Eventos de correo (aperturas, clics, rebotes)", "Email events (opens, clicks, bounces)";
        webhooks_intro: "Pega estas direcciones en la consola de tu proveedor para que las aperturas, los clics, los rebotes y las denuncias de spam lleguen aquí. Un rebote definitivo o una denuncia de spam detiene los correos de marketing a esa dirección.", "Paste these addresses in your provider's console so opens, clicks, bounces and spam reports arrive here. A hard bounce or a spam report stops marketing email to that address.";
        webhook_sendgrid: "SendGrid → Settings → Mail Settings → Event Webhook (HTTP Post URL)", "SendGrid → Settings → Mail Settings → Event Webhook (HTTP Post URL)";
        webhook_brevo: "Brevo → Transactional → Settings → Webhook (URL); la dirección es secreta, no la compartas", "Brevo → Transactional → Settings → Webhook (URL); the address is secret, do not share it";
        webhook_sendgrid_inbound: "Correo entrante por SendGrid → Settings → Inbound Parse (Destination URL); la dirección es secreta", "Inbound email via SendGrid → Settings → Inbound Parse (Destination URL); the address is secret";
        webhook_brevo_inbound: "Correo entrante por Brevo → Inbound parsing webhook (URL); la dirección es secreta", "Inbound email via Brevo → Inbound parsing webhook (URL); the address is secret";
        bad_smtp_url: "El servidor SMTP debe ser una dirección pública (smtp:// o smtps://); no se permiten direcciones internas.", "The SMTP server must be a public address (smtp:// or smtps://); internal addresses are not allowed.";
        bad_number: "El identificador de embudo de Kommo debe ser un número.", "The Kommo pipeline id must be a number.";
        send_test: "Enviar una prueba", "Send a test";
        test_title: "Probar los canales", "Test the channels";
        test_email_to: "Correo: la prueba llega a tu dirección, {email}.", "Email: the test goes to your address, {email}.";
        test_to: "Número de destino ({channel})", "Number to send to ({channel})";
        test_queued: "Mensaje de prueba en cola: su resultado aparecerá aquí y en Mensajes.", "Test message queued: its outcome will show here and in Messages.";
        test_bad_email: "Tu correo de acceso no es una dirección válida para recibir la prueba; cámbialo en tu perfil.", "Your sign-in email is not a valid address to receive the test; change it in your profile.";
        test_bad_to: "Escribe un teléfono válido con prefijo de país, p. ej. +525512345678.", "Enter a valid phone with the country prefix, e.g. +525512345678.";
        test_body: "Mensaje de prueba de AgencyFlow.", "AgencyFlow test message.";
    }
}
