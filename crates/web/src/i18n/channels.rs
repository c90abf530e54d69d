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
