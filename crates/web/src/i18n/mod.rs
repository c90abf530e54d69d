//! The interface's text in Spanish and English.
//!
//! `Tr` holds the shell's and common strings; each area has its own module
//! with its own struct (`contacts::ContactsTr`, ...), declared with the same
//! macro.
//!
//! Every string is a field of [`Tr`], filled for both languages by one
//! macro: a string missing in either language is a compile error, and a
//! template naming a string that does not exist is one too.

use af_core::Locale;

pub mod api_docs;
pub mod audit;
pub mod automations;
pub mod board;
pub mod booking;
pub mod calendars;
pub mod channels;
pub mod charts;
pub mod contacts;
pub mod conversations;
pub mod details;
pub mod forms;
pub mod imports;
pub mod jobs;
pub mod notifications;
pub mod recalculation;
pub mod reports;
pub mod retention;
pub mod scoring;
pub mod vocab;
pub mod webhooks;

/// Declares a struct of strings with its Spanish and English values.
/// Each area of the product may declare its own (see `contacts.rs` etc.),
/// so teams add strings without touching one shared list.
#[macro_export]
macro_rules! translations {
    ($name:ident, $es_name:ident, $en_name:ident { $($key:ident: $es:literal, $en:literal;)* }) => {
        /// User-visible strings of one language.
        #[derive(Debug)]
        pub struct $name {
            $(pub $key: &'static str,)*
        }

        /// Spanish (the default).
        pub static $es_name: $name = $name { $($key: $es,)* };
        /// English.
        pub static $en_name: $name = $name { $($key: $en,)* };

        impl $name {
            /// The strings of `locale`.
            pub fn get(locale: af_core::Locale) -> &'static $name {
                match locale {
                    af_core::Locale::Es => &$es_name,
                    af_core::Locale::En => &$en_name,
                }
            }
        }
    };
}

/// The strings of `locale`.
pub fn tr(locale: Locale) -> &'static Tr {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
    }
}

impl Tr {
    pub fn role(&self, role: af_core::Role) -> &'static str {
        match role {
            af_core::Role::Owner => self.role_owner,
            af_core::Role::Admin => self.role_admin,
            af_core::Role::Member => self.role_member,
        }
    }
}

translations! {
    Tr, ES, EN {
    nav_label: "Navegación principal", "Main navigation";
    skip_to_content: "Saltar al contenido", "Skip to content";
    menu_open: "Abrir el menú", "Open the menu";
    menu_close: "Cerrar el menú", "Close the menu";
    search: "Buscar", "Search";
    search_placeholder: "Buscar contactos, negocios, formularios…", "Search contacts, deals, forms…";
    search_shortcut: "Atajo: /", "Shortcut: /";
    search_deals: "Negocios", "Deals";
    search_workflows: "Automatizaciones", "Automations";
    search_none: "Nada coincide con «{q}».", "Nothing matches “{q}”.";
    search_hint: "Busca por nombre, correo, empresa o teléfono (con o sin espacios ni +52).", "Search by name, email, company or phone (with or without spaces or the country code).";
    other_language_code: "en", "es";
    other_language_name: "English", "Español";
    switch_language: "Cambiar el idioma", "Change the language";
    nav_dashboard: "Panel", "Dashboard";
    nav_contacts: "Contactos", "Contacts";
    nav_pipelines: "Embudos", "Pipelines";
    nav_forms: "Formularios", "Forms";
    nav_calendars: "Calendarios", "Calendars";
    nav_automations: "Automatizaciones", "Automations";
    nav_messages: "Mensajes", "Messages";
    nav_conversations: "Conversaciones", "Conversations";
    tab_whatsapp_templates: "Plantillas de WhatsApp", "WhatsApp templates";
    nav_unread: "sin leer", "unread";
    nav_reports: "Informes", "Reports";
    nav_settings: "Configuración", "Settings";
    workspace: "Espacio de trabajo", "Workspace";
    switch: "Cambiar", "Switch";
    new_workspace: "Nuevo espacio de trabajo", "New workspace";
    new_workspace_hint: "Serás propietario del nuevo espacio. Zona horaria, idioma y país se copian del actual y puedes cambiarlos en Configuración.", "You will own the new workspace. Time zone, language and country are copied from the current one and can be changed in Settings.";
    profile: "Mi perfil", "My profile";
    logout: "Cerrar sesión", "Sign out";
    sign_in: "Iniciar sesión", "Sign in";
    email: "Correo electrónico", "Email";
    password: "Contraseña", "Password";
    forgot_password: "¿Olvidaste tu contraseña?", "Forgot your password?";
    reset_password: "Restablecer contraseña", "Reset password";
    reset_intro: "Escribe tu correo y te enviaremos un enlace para elegir una contraseña nueva.", "Enter your email and we will send you a link to choose a new password.";
    send_link: "Enviar enlace", "Send link";
    back_to_sign_in: "Volver a iniciar sesión", "Back to sign in";
    choose_password: "Elige una contraseña nueva", "Choose a new password";
    new_password: "Contraseña nueva (mínimo 10 caracteres)", "New password (at least 10 characters)";
    save_password: "Guardar contraseña", "Save password";
    invitation: "Invitación", "Invitation";
    invited_to: "Te invitaron a", "You were invited to";
    join_workspace: "Unirme al espacio de trabajo", "Join the workspace";
    invite_sign_in_first: "Ya existe una cuenta con este correo. Inicia sesión con ella para aceptar la invitación.", "An account with this email already exists. Sign in with it to accept the invitation.";
    invite_wrong_user: "Esta invitación es para otro correo. Cierra sesión e ingresa con la cuenta invitada.", "This invitation is for another email. Sign out and sign in with the invited account.";
    your_name: "Nombre", "Name";
    create_account_and_join: "Crear cuenta y unirme", "Create account and join";
    go_home: "Ir al inicio", "Go to the start page";
    welcome: "Hola", "Hello";
    outbox_intro: "Bandeja de salida integrada: registra cada mensaje enviado mientras no haya un proveedor real configurado.", "Built-in outbox: records every message sent while no real provider is configured.";
    outbox_empty: "Todavía no hay mensajes.", "No messages yet.";
    when: "Fecha", "Date";
    channel: "Canal", "Channel";
    recipient: "Destinatario", "Recipient";
    subject: "Asunto", "Subject";
    status: "Estado", "Status";
    no_subject: "(sin asunto)", "(no subject)";
    tab_workspace: "Espacio de trabajo", "Workspace";
    tab_members: "Miembros", "Members";
    tab_api_keys: "Claves API", "API keys";
    api_docs_intro: "Con una clave, otros sistemas (Zapier, Make, n8n, tus landing pages y scripts) leen y escriben en este espacio.", "With a key, other systems (Zapier, Make, n8n, your landing pages and scripts) read and write in this workspace.";
    api_docs_link: "Ver la referencia de la API", "Read the API reference";
    tab_jobs: "Trabajos", "Jobs";
    tab_audit: "Auditoría", "Audit log";
    tab_intake: "Captación", "Lead intake";
    tab_channels: "Canales", "Channels";
    tab_webhooks: "Webhooks", "Webhooks";
    save: "Guardar", "Save";
    create: "Crear", "Create";
    logo: "Logotipo", "Logo";
    logo_hint: "PNG, JPEG, WebP o GIF, hasta 512 KB. Se muestra en las páginas públicas y correos.", "PNG, JPEG, WebP or GIF, up to 512 KB. Shown on public pages and emails.";
    upload: "Subir", "Upload";
    ws_name: "Nombre", "Name";
    ws_slug: "Identificador (URL)", "Identifier (URL)";
    ws_time_zone: "Zona horaria", "Time zone";
    ws_locale: "Idioma", "Language";
    ws_country: "País por defecto (teléfonos)", "Default country (phone numbers)";
    ws_brand_color: "Color de marca", "Brand colour";
    ws_sender_name: "Nombre del remitente", "Sender name";
    lang_es: "Español", "Spanish";
    lang_en: "Inglés", "English";
    language: "Idioma", "Language";
    language_workspace_default: "El del espacio de trabajo", "The workspace's";
    role: "Rol", "Role";
    role_owner: "Propietario", "Owner";
    role_admin: "Administrador", "Admin";
    role_member: "Miembro", "Member";
    remove: "Quitar", "Remove";
    invite_member: "Invitar a un miembro", "Invite a member";
    send_invite: "Crear invitación", "Create invitation";
    invite_created: "Invitación creada. Enviamos este enlace por correo; también puedes compartirlo tú (caduca en 7 días):", "Invitation created. We emailed this link; you can also share it yourself (expires in 7 days):";
    invite_created_no_mail: "Invitación creada. No hay proveedor de correo configurado: copia el enlace y compártelo tú (caduca en 7 días):", "Invitation created. No email provider is configured: copy the link and share it yourself (expires in 7 days):";
    pending_invitations: "Invitaciones pendientes", "Pending invitations";
    expires: "caduca", "expires";
    revoke: "Revocar", "Revoke";
    revoked: "Revocada", "Revoked";
    key_shown_once: "Copia la clave ahora: no la volverás a ver.", "Copy the key now: you will not see it again.";
    key_name: "Nombre de la clave", "Key name";
    key_prefix: "Prefijo", "Prefix";
    create_key: "Crear clave", "Create key";
    no_keys: "Todavía no hay claves API.", "No API keys yet.";
    created: "Creada", "Created";
    last_used: "Último uso", "Last used";
    never: "nunca", "never";
    flash_saved: "Cambios guardados.", "Changes saved.";
    flash_profile_saved: "Perfil guardado.", "Profile saved.";
    feed_title: "Calendario externo", "External calendar";
    feed_help: "Pega la dirección secreta en formato iCal de tu Google Calendar u Outlook: sus eventos bloquearán esos horarios en los calendarios de reservas donde atiendes. Se lee cada 10 minutos.", "Paste the secret iCal address of your Google Calendar or Outlook: its events will block those times in the booking calendars you host. It is read every 10 minutes.";
    feed_url: "Dirección iCal secreta", "Secret iCal address";
    feed_connected: "Conectado a", "Connected to";
    feed_never: "Aún no se ha leído.", "Not read yet.";
    feed_synced: "Última lectura:", "Last read:";
    feed_busy_times: "horarios ocupados", "busy times";
    feed_failed: "La última lectura falló:", "The last read failed:";
    feed_err_refused: "la dirección no está permitida o no existe.", "the address is not allowed or does not exist.";
    feed_err_unreachable: "el calendario no respondió.", "the calendar did not answer.";
    feed_err_status: "el calendario respondió con un error (¿la dirección cambió?).", "the calendar answered with an error (did the address change?).";
    feed_err_too_large: "el calendario pesa más de 8 MB.", "the calendar is larger than 8 MB.";
    feed_err_not_ical: "la dirección no devuelve un calendario iCal.", "the address does not return an iCal calendar.";
    feed_err_sealed: "la dirección guardada ya no se puede leer; vuelve a pegarla.", "the saved address can no longer be read; paste it again.";
    feed_sync_now: "Leer ahora", "Read now";
    feed_remove: "Quitar", "Remove";
    feed_connect: "Conectar calendario", "Connect calendar";
    flash_feed_saved: "Calendario externo guardado; se está leyendo.", "External calendar saved; it is being read.";
    flash_feed_removed: "Calendario externo quitado.", "External calendar removed.";
    flash_feed_sync: "Leyendo el calendario externo.", "Reading the external calendar.";
    err_feed_url: "Esa dirección no sirve: debe ser un enlace https:// (o webcal://) a un calendario .ics.", "That address does not work: it must be an https:// (or webcal://) link to an .ics calendar.";
    flash_logo_saved: "Logotipo actualizado.", "Logo updated.";
    flash_role_changed: "Rol actualizado.", "Role updated.";
    flash_member_removed: "Miembro quitado.", "Member removed.";
    flash_invite_revoked: "Invitación revocada.", "Invitation revoked.";
    flash_key_revoked: "Clave revocada.", "Key revoked.";
    flash_workspace_created: "Espacio de trabajo creado.", "Workspace created.";
    flash_joined: "Te uniste al espacio de trabajo.", "You joined the workspace.";
    reset_sent: "Si existe una cuenta con ese correo, te enviamos un enlace para restablecer la contraseña.", "If an account with that email exists, we sent it a link to reset the password.";
    password_changed: "Contraseña actualizada. Ya puedes iniciar sesión.", "Password updated. You can sign in now.";
    err_invalid_credentials: "Correo o contraseña incorrectos.", "Wrong email or password.";
    err_too_many_attempts: "Demasiados intentos fallidos. Espera unos minutos e inténtalo de nuevo.", "Too many failed attempts. Wait a few minutes and try again.";
    err_reset_invalid: "El enlace no es válido o ya caducó. Pide uno nuevo.", "The link is not valid or has expired. Ask for a new one.";
    err_invite_invalid: "La invitación no es válida, ya se usó o caducó.", "The invitation is not valid, was already used or has expired.";
    err_last_owner: "El espacio de trabajo necesita al menos un propietario.", "The workspace needs at least one owner.";
    err_owner_only: "Solo un propietario puede dar o quitar el rol de propietario.", "Only an owner can grant or take away the owner role.";
    err_slug_taken: "Ese identificador ya está en uso.", "That identifier is already taken.";
    err_invalid_slug: "Usa de 2 a 40 letras minúsculas, números o guiones (sin guion al inicio o al final).", "Use 2 to 40 lowercase letters, digits or hyphens (no hyphen at the start or end).";
    err_invalid_name: "Escribe un nombre (máximo 120 caracteres).", "Enter a name (at most 120 characters).";
    err_invalid_email: "Escribe un correo válido.", "Enter a valid email.";
    err_invalid_time_zone: "Elige una zona horaria válida, por ejemplo America/Mexico_City.", "Choose a valid time zone, for example America/Mexico_City.";
    err_invalid_country: "Usa un código de país de dos letras, por ejemplo MX.", "Use a two-letter country code, for example MX.";
    err_invalid_color: "Usa un color como #4f46e5.", "Use a colour like #4f46e5.";
    err_invalid_locale: "Elige español o inglés.", "Choose Spanish or English.";
    err_invalid_role: "Elige un rol válido.", "Choose a valid role.";
    err_password_rules: "La contraseña debe tener entre 10 y 256 caracteres.", "The password must have between 10 and 256 characters.";
    err_logo: "El logotipo debe ser PNG, JPEG, WebP o GIF de hasta 512 KB.", "The logo must be a PNG, JPEG, WebP or GIF of at most 512 KB.";
    err_already_member: "Esa persona ya es miembro.", "That person is already a member.";
    err_csrf: "El formulario caducó o no proviene de esta aplicación. Recarga la página e inténtalo de nuevo.", "The form has expired or did not come from this application. Reload the page and try again.";
    title_not_found: "No encontrado", "Not found";
    err_not_found: "Lo que buscas no existe o no pertenece a este espacio de trabajo.", "What you are looking for does not exist or does not belong to this workspace.";
    title_forbidden: "Sin permiso", "Not allowed";
    err_forbidden: "Tu rol no permite esta acción.", "Your role does not allow this action.";
    title_error: "Algo salió mal", "Something went wrong";
    err_generic: "No pudimos completar la acción. Ya quedó registrado; inténtalo de nuevo en un momento.", "We could not complete the action. It has been logged; try again in a moment.";
    title_bad_request: "Solicitud no válida", "Invalid request";
    title_too_many: "Demasiadas solicitudes", "Too many requests";
    no_workspace: "Tu cuenta no pertenece a ningún espacio de trabajo. Pide una invitación a un administrador.", "Your account does not belong to any workspace. Ask an admin for an invitation.";
    reset_email_subject: "Restablece tu contraseña de AgencyFlow", "Reset your AgencyFlow password";
    reset_email_body: "Hola {name}:\n\nAlguien (esperamos que tú) pidió restablecer la contraseña de tu cuenta de AgencyFlow. Para elegir una nueva, abre este enlace (caduca en 1 hora):\n\n{link}\n\nSi no fuiste tú, ignora este correo: tu contraseña no cambia.", "Hi {name},\n\nSomeone (hopefully you) asked to reset the password of your AgencyFlow account. To choose a new one, open this link (it expires in 1 hour):\n\n{link}\n\nIf it was not you, ignore this email: your password does not change.";
    invite_email_subject: "Te invitaron a {workspace} en AgencyFlow", "You were invited to {workspace} on AgencyFlow";
    invite_email_body: "Hola:\n\n{inviter} te invitó a unirte a {workspace} en AgencyFlow como {role}. Acepta la invitación con este enlace (caduca en 7 días):\n\n{link}", "Hi,\n\n{inviter} invited you to join {workspace} on AgencyFlow as {role}. Accept the invitation with this link (it expires in 7 days):\n\n{link}";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_and_english_differ_where_words_differ() {
        assert_eq!(tr(Locale::Es).nav_contacts, "Contactos");
        assert_eq!(tr(Locale::En).nav_contacts, "Contacts");
        assert_eq!(tr(Locale::En).role(af_core::Role::Admin), "Admin");
    }

    #[test]
    fn email_templates_keep_their_placeholders_in_both_languages() {
        for t in [&ES, &EN] {
            assert!(t.reset_email_body.contains("{link}") && t.reset_email_body.contains("{name}"));
            for p in ["{link}", "{inviter}", "{workspace}", "{role}"] {
                assert!(t.invite_email_body.contains(p), "{p}");
            }
        }
    }
}
