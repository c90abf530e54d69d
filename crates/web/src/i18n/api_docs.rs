//! Strings of the API reference page (`/api/docs`, issue 21).

crate::translations! {
    ApiDocsTr, API_DOCS_ES, API_DOCS_EN {
        title: "Referencia de la API", "API reference";
        intro: "Todo lo que otros sistemas pueden pedir a AgencyFlow. Crea una clave en Configuración → Claves de API y envíala como Authorization: Bearer o X-Api-Key.", "Everything other systems can ask AgencyFlow. Create a key in Settings → API keys and send it as Authorization: Bearer or X-Api-Key.";
        document: "Documento OpenAPI 3.1 (JSON)", "OpenAPI 3.1 document (JSON)";
        contents: "Contenido", "Contents";
        parameters: "Parámetros", "Parameters";
        name: "Nombre", "Name";
        located: "En", "In";
        kind: "Tipo", "Type";
        required: "obligatorio", "required";
        optional: "opcional", "optional";
        description: "Descripción", "Description";
        body: "Cuerpo de la petición", "Request body";
        responses: "Respuestas", "Responses";
        example: "Ejemplo", "Example";
        curl: "cURL", "cURL";
        copy: "Copiar", "Copy";
        copied: "Copiado.", "Copied.";
        auth_key: "Requiere una clave de API.", "Needs an API key.";
        auth_intake: "Clave de API o clave de captación.", "An API key or the intake key.";
        auth_none: "Sin clave: lo firma quien llama o es público.", "No key: signed by its caller, or public.";
        in_path: "ruta", "path";
        in_query: "consulta", "query";
        in_header: "cabecera", "header";
        language: "Idioma", "Language";
        operations: "{n} operaciones", "{n} operations";
    }
}
