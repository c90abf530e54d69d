//! Strings of the forms area: the form builder, submissions, the hosted
//! form page and embed (as visitors see them), and the intake settings.

crate::translations! {
    FormsTr, FORMS_ES, FORMS_EN {
        title: "Formularios", "Forms";
        new_form: "Nuevo formulario", "New form";
        no_forms: "Aún no hay formularios. Crea uno para captar leads desde tu sitio.", "No forms yet. Create one to capture leads from your site.";
        name: "Nombre", "Name";
        submissions: "Envíos", "Submissions";
        status: "Estado", "Status";
        active: "Activo", "Active";
        inactive: "Inactivo", "Inactive";
        edit: "Editar", "Edit";
        view: "Ver", "View";
        open_hosted: "Abrir página", "Open page";
        delete: "Eliminar", "Delete";
        delete_confirm: "¿Eliminar este formulario y sus envíos?", "Delete this form and its submissions?";
        save: "Guardar", "Save";
        saved: "Formulario guardado.", "Form saved.";
        deleted: "Formulario eliminado.", "Form deleted.";
        fields: "Campos", "Fields";
        add_field: "Agregar campo", "Add field";
        remove: "Quitar", "Remove";
        move_up: "Subir", "Move up";
        move_down: "Bajar", "Move down";
        starters: "Empezar con un modelo:", "Start from a template:";
        starter_contact: "Contacto", "Contact";
        starter_quote: "Cotización", "Quote request";
        starter_appointment: "Cita", "Appointment";
        // The starters' fields (labels go in both languages; choices in the reader's).
        starter_name: "Nombre", "Name";
        starter_email: "Correo", "Email";
        starter_phone: "Teléfono", "Phone";
        starter_message: "Mensaje", "Message";
        starter_company: "Empresa", "Company";
        starter_service: "Servicio", "Service";
        starter_service_seo: "SEO", "SEO";
        starter_service_ads: "Publicidad", "Advertising";
        starter_service_social: "Redes sociales", "Social media";
        starter_service_web: "Sitio web", "Website";
        starter_budget: "Presupuesto", "Budget";
        starter_details: "Detalles", "Details";
        starter_date: "Fecha preferida", "Preferred date";
        starter_time: "Horario", "Time of day";
        starter_morning: "Mañana", "Morning";
        starter_afternoon: "Tarde", "Afternoon";
        starter_reason: "Motivo", "Reason";
        drag_field: "Arrastra para cambiar el orden", "Drag to reorder";
        field_name: "Nombre interno", "Internal name";
        field_type: "Tipo", "Type";
        field_label: "Etiqueta (es)", "Label (es)";
        field_label_en: "Etiqueta (en)", "Label (en)";
        field_placeholder: "Texto de ayuda (es)", "Placeholder (es)";
        field_placeholder_en: "Texto de ayuda (en)", "Placeholder (en)";
        field_required: "Obligatorio", "Required";
        field_options: "Opciones (una por línea)", "Choices (one per line)";
        field_value: "Valor fijo (oculto)", "Fixed value (hidden)";
        type_text: "Texto", "Text";
        type_multiselect: "Varias opciones", "Multiple choice";
        type_number: "Número", "Number";
        type_email: "Correo", "Email";
        type_phone: "Teléfono", "Phone";
        type_select: "Lista", "Select";
        type_textarea: "Texto largo", "Long text";
        type_checkbox: "Casilla", "Checkbox";
        type_hidden: "Oculto", "Hidden";
        // Where a field's answer is saved (`maps_to`).
        maps_to: "Guardar en el contacto", "Save to contact";
        maps_auto: "Automático: {target}", "Automatic: {target}";
        maps_contact: "Datos del contacto", "Contact details";
        maps_custom: "Campos personalizados", "Custom fields";
        maps_none: "Solo en el envío", "Only in the submission";
        maps_unknown: "Destino desconocido: {code}", "Unknown destination: {code}";
        maps_checkbox: "Las casillas se guardan solo en el envío.", "Checkboxes are kept in the submission only.";
        to_first_name: "Nombre de pila", "First name";
        to_last_name: "Apellidos", "Last name";
        to_name: "Nombre completo", "Full name";
        to_email: "Correo electrónico", "Email";
        to_phone: "Teléfono", "Phone";
        to_company: "Empresa", "Company";
        new_custom_field: "+ Nuevo campo personalizado", "+ New custom field";
        cf_title: "Nuevo campo personalizado", "New custom field";
        cf_label: "Nombre del campo", "Field name";
        cf_kind: "Tipo de dato", "Data type";
        cf_options: "Opciones (una por línea)", "Choices (one per line)";
        cf_create: "Crear y usar", "Create and use";
        cf_cancel: "Cancelar", "Cancel";
        cf_created: "Campo personalizado «{label}» creado: las respuestas de este campo se guardarán ahí.", "Custom field “{label}” created: this field's answers will be saved there.";
        cf_failed: "No pudimos crear el campo. Inténtalo de nuevo.", "We could not create the field. Please try again.";
        cf_forbidden: "Solo los administradores pueden crear campos personalizados.", "Only admins can create custom fields.";
        // Mapping errors when saving, naming the form's field.
        map_err_unknown: "El campo «{field}» no se puede guardar en «{code}». Elige un destino de la lista.", "The field “{field}” cannot be saved to “{code}”. Choose a destination from the list.";
        map_err_no_custom: "El campo «{field}» se guarda en el campo personalizado «{key}», que no existe en este espacio de trabajo. Elige otro destino.", "The field “{field}” is saved to the custom field “{key}”, which this workspace does not have. Choose another destination.";
        map_err_checkbox: "El campo «{field}» es una casilla: su respuesta se guarda solo en el envío.", "The field “{field}” is a checkbox: its answer is kept in the submission only.";
        map_err_unsuitable: "El campo «{field}» ({type}) no puede llenar el campo personalizado «{target}» ({kind}).", "The field “{field}” ({type}) cannot fill the custom field “{target}” ({kind}).";
        map_err_refused: "El campo personalizado «{target}» no acepta estas opciones del campo «{field}»: {values}.", "The custom field “{target}” does not accept these choices of the field “{field}”: {values}.";
        map_err_twice: "El campo «{field}» se guarda en «{target}», que ya llena el campo «{other}».", "The field “{field}” is saved to “{target}”, which the field “{other}” already fills.";
        // What a visitor reads when an answer does not suit its custom field.
        invalid_number: "Escribe un número, por ejemplo 12.5.", "Enter a number, for example 12.5.";
        invalid_date: "Escribe una fecha como 2026-03-31.", "Enter a date like 2026-03-31.";
        after_submit: "Después de enviar", "After submitting";
        success_message: "Mensaje de éxito", "Success message";
        redirect_url: "O redirigir a (URL)", "Or redirect to (URL)";
        target: "Destino de los leads", "Where leads go";
        stage: "Etapa", "Stage";
        default_stage: "Primera etapa del embudo principal", "First stage of the main pipeline";
        tags: "Etiquetas (separadas por coma)", "Tags (comma separated)";
        consent_text: "Texto de consentimiento (vacío: sin casilla)", "Consent text (empty: no checkbox)";
        styling: "Estilo", "Styling";
        primary_color: "Color principal", "Primary colour";
        text_color: "Color del texto", "Text colour";
        background_color: "Color de fondo", "Background colour";
        font: "Tipografía", "Font";
        font_system: "Del sistema", "System";
        font_serif: "Con serifa", "Serif";
        font_mono: "Monoespaciada", "Monospace";
        err_form_name: "Escribe un nombre de 1 a 120 caracteres.", "Enter a name of 1 to 120 characters.";
        err_field_count: "Un formulario necesita de 1 a 30 campos.", "A form needs 1 to 30 fields.";
        err_field_name: "Campo «{field}»: el nombre interno usa minúsculas, números y _ (empieza con letra, hasta 40).", "Field \"{field}\": the internal name uses lower-case letters, digits and _ (starting with a letter, up to 40).";
        err_field_name_reserved: "Campo «{field}»: ese nombre interno está reservado para el origen del lead (utm_…, referrer, landing_page).", "Field \"{field}\": that internal name is reserved for the lead's origin (utm_…, referrer, landing_page).";
        err_field_name_twice: "Campo «{field}»: otro campo ya usa ese nombre interno.", "Field \"{field}\": another field already uses that internal name.";
        err_field_type: "Campo «{field}»: elige un tipo de la lista.", "Field \"{field}\": choose a type from the list.";
        err_field_options: "Campo «{field}»: una lista necesita de 1 a 50 opciones de hasta 200 caracteres.", "Field \"{field}\": a list needs 1 to 50 choices of up to 200 characters.";
        err_field_text: "Campo «{field}»: la etiqueta, el texto de ayuda o el valor tienen más de 200 caracteres.", "Field \"{field}\": the label, placeholder or value has more than 200 characters.";
        err_color: "Elige los colores con el selector (como #4f46e5).", "Pick the colours with the picker (like #4f46e5).";
        err_font: "Elige una fuente de la lista.", "Choose a font from the list.";
        err_radius: "El redondeo va de 0 a 24 píxeles.", "The corner radius goes from 0 to 24 pixels.";
        err_button_text: "El texto del botón admite hasta 60 caracteres.", "The button text takes up to 60 characters.";
        err_success_message: "El mensaje de éxito admite hasta 1000 caracteres.", "The success message takes up to 1000 characters.";
        err_redirect_url: "La redirección debe ser una dirección http:// o https://.", "The redirect must be an http:// or https:// address.";
        err_consent_text: "El texto de consentimiento admite hasta 1000 caracteres.", "The consent text takes up to 1000 characters.";
        err_tags: "Cada etiqueta lleva de 1 a 50 caracteres.", "Each tag takes 1 to 50 characters.";
        radius: "Redondeo (px)", "Corner radius (px)";
        button_text: "Texto del botón (es)", "Button text (es)";
        button_text_en: "Texto del botón (en)", "Button text (en)";
        preview: "Vista previa", "Preview";
        preview_lang: "Idioma de la vista previa", "Preview language";
        preview_es: "Español", "Spanish";
        preview_en: "Inglés", "English";
        embed: "Insertar en tu sitio", "Embed on your site";
        embed_hint: "Pega este código donde quieras mostrar el formulario. Captura los UTM, el referente y la página de llegada.", "Paste this code where the form should appear. It captures UTM parameters, the referrer and the landing page.";
        hosted_link: "Página del formulario", "Form page";
        no_submissions: "Aún no hay envíos.", "No submissions yet.";
        date: "Fecha", "Date";
        data: "Datos", "Data";
        attribution: "Atribución", "Attribution";
        contact: "Contacto", "Contact";
        yes: "Sí", "Yes";
        no: "No", "No";
        export_csv: "Exportar CSV", "Export CSV";
        csv_file: "envios", "submissions";
        col_contact_name: "Nombre del contacto", "Contact name";
        col_contact_email: "Correo del contacto", "Contact email";
        col_contact_phone: "Teléfono del contacto", "Contact phone";
        // The contact's timeline.
        ev_submitted_named: "Envió el formulario «{form}»", "Submitted the form “{form}”";
        ev_submitted_answers: "Envió el formulario «{form}»: {answers}", "Submitted the form “{form}”: {answers}";
        // Tracking keys a submission may carry.
        utm_source: "Fuente (UTM)", "Source (UTM)";
        utm_medium: "Medio (UTM)", "Medium (UTM)";
        utm_campaign: "Campaña (UTM)", "Campaign (UTM)";
        utm_term: "Término (UTM)", "Term (UTM)";
        utm_content: "Contenido (UTM)", "Content (UTM)";
        referrer: "Referente", "Referrer";
        landing_page: "Página de llegada", "Landing page";
        page_url: "Página del envío", "Page URL";
        errors_title: "Revisa el formulario:", "Please check the form:";
        // As visitors see them (hosted page and embed).
        submit: "Enviar", "Send";
        thanks: "¡Gracias! Recibimos tus datos.", "Thank you! We received your details.";
        required: "Este campo es obligatorio.", "This field is required.";
        too_long: "El texto es demasiado largo.", "The text is too long.";
        invalid_email: "Escribe un correo válido.", "Enter a valid email address.";
        invalid_phone: "Escribe un teléfono válido.", "Enter a valid phone number.";
        invalid_choice: "Elige una opción de la lista.", "Choose one of the options.";
        consent_required: "Debes aceptar para continuar.", "You must accept to continue.";
        need_contact: "Escribe tu nombre, correo o teléfono.", "Enter your name, email or phone.";
        form_unavailable: "Este formulario no está disponible.", "This form is not available.";
        sending: "Enviando…", "Sending…";
        failed: "No pudimos enviar el formulario. Inténtalo de nuevo.", "We could not send the form. Please try again.";
        // Settings → Intake.
        intake_tab: "Captación", "Lead intake";
        intake_keys: "Claves de captación", "Intake keys";
        intake_keys_hint: "Una clave de captación solo puede crear leads: puedes ponerla en una landing page. Las claves completas están en «Claves API».", "An intake key can only create leads, so it is safe in a landing page. Full keys are under \"API keys\".";
        create_intake_key: "Crear clave de captación", "Create intake key";
        key_created: "Copia la clave ahora; no la volverás a ver:", "Copy the key now; you will not see it again:";
        revoke: "Revocar", "Revoke";
        revoked: "Revocada", "Revoked";
        lead_api: "API de leads (compatible con PAUTA)", "Lead API (PAUTA compatible)";
        calcom: "Cal.com", "Cal.com";
        calcom_url: "URL del webhook para Cal.com (Configuración → Desarrollador → Webhooks):", "Webhook URL for Cal.com (Settings → Developer → Webhooks):";
        calcom_secret: "Secreto del webhook", "Webhook secret";
        calcom_secret_hint: "Copia este secreto en el campo «Secret» del webhook en Cal.com: cada entrega viene firmada y las que no coinciden se rechazan. También se aceptan las firmadas con el secreto del servidor (CALCOM_WEBHOOK_SECRET).", "Paste this secret into the webhook's \"Secret\" field in Cal.com: every delivery comes signed, and those that do not match are refused. Deliveries signed with the server's secret (CALCOM_WEBHOOK_SECRET) are accepted too.";
        calcom_secret_replace: "Reemplazar por (vacío: generar uno nuevo)", "Replace with (empty: generate a new one)";
        calcom_unsigned: "Aceptar entregas sin firma (solo para pruebas)", "Accept unsigned deliveries (for testing only)";
        calcom_unsigned_warning: "Cuidado: con esto, cualquiera que conozca esta URL puede crear citas y mover leads a «Agendado».", "Careful: with this on, anyone who knows this URL can create appointments and move leads to the booked stage.";
        calcom_unsigned_saved: "Preferencia de firma guardada.", "Signature preference saved.";
        calcom_secret_saved: "Secreto guardado.", "Secret saved.";
        deliveries: "Entregas recibidas", "Received deliveries";
        no_deliveries: "Aún no llegan entregas.", "No deliveries yet.";
        event: "Evento", "Event";
        result: "Resultado", "Result";
        replay: "Reprocesar", "Replay";
        replayed: "Entrega reprocesada.", "Delivery replayed.";
    }
}

impl FormsTr {
    /// The label of a styling font (`system`, `serif`, `mono`).
    pub fn font_label<'a>(&self, font: &'a str) -> &'a str {
        match font {
            "system" => self.font_system,
            "serif" => self.font_serif,
            "mono" => self.font_mono,
            other => other,
        }
    }

    /// The label of a known tracking key (`utm_*`, `referrer`,
    /// `landing_page`, `page_url`), if it is one.
    pub fn tracking_label(&self, key: &str) -> Option<&'static str> {
        Some(match key {
            "utm_source" => self.utm_source,
            "utm_medium" => self.utm_medium,
            "utm_campaign" => self.utm_campaign,
            "utm_term" => self.utm_term,
            "utm_content" => self.utm_content,
            "referrer" | "referer" => self.referrer,
            "landing_page" => self.landing_page,
            "page_url" | "url" => self.page_url,
            _ => return None,
        })
    }
}
