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
        sms: "SMS y WhatsApp (Twilio)", "SMS and WhatsApp (Twilio)";
        kommo: "Kommo", "Kommo";
        quiet_hours: "Horario permitido para SMS, WhatsApp y llamadas (HH:MM-HH:MM)", "Allowed hours for SMS, WhatsApp and calls (HH:MM-HH:MM)";
        configured: "Configurado", "Configured";
        keep_hint: "Déjalo vacío para conservar el valor guardado; escribe - para borrarlo.", "Leave empty to keep the saved value; type - to clear it.";
        save: "Guardar", "Save";
        saved: "Canales guardados.", "Channels saved.";
        bad_quiet_hours: "El horario debe verse como 08:00-21:00.", "Hours must look like 08:00-21:00.";
        bad_kommo_url: "La URL de Kommo debe ser pública, como https://tuempresa.kommo.com (no se permiten direcciones internas).", "The Kommo URL must be public, like https://yourcompany.kommo.com (internal addresses are not allowed).";
        bad_smtp_url: "El servidor SMTP debe ser una dirección pública (smtp:// o smtps://); no se permiten direcciones internas.", "The SMTP server must be a public address (smtp:// or smtps://); internal addresses are not allowed.";
        bad_number: "El identificador de embudo de Kommo debe ser un número.", "The Kommo pipeline id must be a number.";
        send_test: "Enviar prueba", "Send test";
        test_to: "Destinatario", "Recipient";
        test_queued: "Mensaje de prueba en cola: míralo en Mensajes.", "Test message queued: see it in Messages.";
        test_bad_to: "Escribe un correo o un teléfono válido.", "Enter a valid email or phone.";
        test_body: "Mensaje de prueba de AgencyFlow.", "AgencyFlow test message.";
    }
}
