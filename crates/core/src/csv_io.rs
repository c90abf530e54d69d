//! CSV rules that need no database: reading what spreadsheets produce
//! (UTF-8 BOM, `;` or `,` delimiters, quoted fields with newlines), mapping
//! columns to contact fields (with suggestions from Spanish and English
//! header names), and writing cells that spreadsheets cannot run as formulas.
//!
//! Imported files are hostile: nothing here panics on any input, and every
//! row's problems come back as values.

use crate::contact_input::RawContact;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The UTF-8 byte order mark Excel puts at the start of "CSV UTF-8" files.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Largest number of columns an import may have (hostile files).
pub const MAX_COLUMNS: usize = 200;

/// Longest value kept of one cell; longer cells are rejected by field rules.
pub const MAX_CELL_CHARS: usize = 2000;

/// `bytes` without a leading UTF-8 BOM. The csv crate keeps it, and then it
/// ends up glued to the first header name.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}

/// The delimiter of a CSV file: `;` when the first record (quotes
/// respected) has more semicolons than commas, as European Excel writes,
/// else `,`. Tabs win when there is neither.
pub fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let (mut commas, mut semis, mut tabs) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for &b in strip_bom(bytes).iter().take(64 * 1024) {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semis += 1,
            b'\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    if semis > commas {
        b';'
    } else if commas == 0 && tabs > 0 {
        b'\t'
    } else {
        b','
    }
}

/// Why a file cannot be read at all (as opposed to a bad row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not UTF-8 text (save it as \"CSV UTF-8\")")]
    NotUtf8,
    #[error("the file has more than {MAX_COLUMNS} columns")]
    TooManyColumns,
    #[error("the file has no header row")]
    NoHeader,
    #[error("the CSV is malformed: {0}")]
    Malformed(String),
}

/// A data row: its record number and its cells.
pub type CsvRow = (usize, Vec<String>);

/// A reader over an in-memory CSV file, BOM stripped and delimiter sniffed.
/// Rows may have fewer or more cells than the header (spreadsheets trim
/// trailing empty cells); missing cells read as empty.
pub struct CsvFile<'a> {
    pub headers: Vec<String>,
    pub delimiter: u8,
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    /// Record number: the header is row 1, data rows count from 2 (blank
    /// lines are skipped by the reader and not counted).
    row: usize,
}

impl<'a> CsvFile<'a> {
    /// Opens `bytes` and reads the header row.
    pub fn open(bytes: &'a [u8]) -> Result<Self, CsvError> {
        let body = strip_bom(bytes);
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(CsvError::Empty);
        }
        if std::str::from_utf8(body).is_err() {
            return Err(CsvError::NotUtf8);
        }
        let delimiter = sniff_delimiter(body);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(body);
        let mut record = csv::StringRecord::new();
        let got = reader
            .read_record(&mut record)
            .map_err(|e| CsvError::Malformed(e.to_string()))?;
        if !got {
            return Err(CsvError::NoHeader);
        }
        if record.len() > MAX_COLUMNS {
            return Err(CsvError::TooManyColumns);
        }
        let headers: Vec<String> = record
            .iter()
            .map(|h| clean_cell(h).chars().take(200).collect())
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(CsvError::NoHeader);
        }
        Ok(CsvFile {
            headers,
            delimiter,
            reader,
            record,
            row: 1,
        })
    }

    /// The next data row as `(row number, cells)`; blank lines are
    /// skipped. Cells are padded or cut to the header's width.
    pub fn next_row(&mut self) -> Option<Result<CsvRow, (usize, String)>> {
        loop {
            self.row += 1;
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Err(e) => {
                    // The csv crate cannot resynchronise after some errors;
                    // report the row and stop at the next failure.
                    return Some(Err((self.row, e.to_string())));
                }
                Ok(true) => {
                    if self.record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let mut cells: Vec<String> = self
                        .record
                        .iter()
                        .take(self.headers.len())
                        .map(|c| clean_cell(c).to_string())
                        .collect();
                    cells.resize(self.headers.len(), String::new());
                    return Some(Ok((self.row, cells)));
                }
            }
        }
    }

    /// Counts the remaining data rows (for progress), consuming the reader.
    pub fn count_rows(mut self) -> usize {
        let mut n = 0;
        while let Some(r) = self.next_row() {
            match r {
                Ok(_) => n += 1,
                Err(_) => {
                    n += 1;
                    break;
                }
            }
        }
        n
    }
}

/// Trims a cell and undoes the formula guard of our own exports: one `'`
/// in front of quotes that lead to `= + - @` (or tab / CR) was added by
/// [`safe_cell`], so an export imports back unchanged, however many quotes
/// the value itself started with.
pub fn clean_cell(raw: &str) -> &str {
    let t = raw.trim_matches(|c: char| c == ' ' || c == '\u{a0}');
    match t.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_STARTS) => rest,
        _ => t.trim(),
    }
}

const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// A cell a spreadsheet will show as text, never run: values starting with
/// `= + - @`, tab or carriage return get a leading `'` (the OWASP "CSV
/// injection" advice). Phone numbers like `+52...` are guarded too; our
/// importer strips the guard again (see [`clean_cell`]).
pub fn safe_cell(value: &str) -> Cow<'_, str> {
    // A value that already looks guarded (quotes, then a formula start)
    // gets one more quote, so the importer's unguarding gives it back
    // unchanged.
    let looks_guarded =
        value.starts_with('\'') && value.trim_start_matches('\'').starts_with(FORMULA_STARTS);
    if value.starts_with(FORMULA_STARTS) || looks_guarded {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// One CSV line (with `\r\n`) of formula-safe cells, quoted where needed
/// (delimiters, quotes, newlines).
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::with_capacity(256));
    // Writing to a Vec cannot fail.
    let _ = w.write_record(cells.iter().map(|c| safe_cell(c.as_ref()).into_owned()));
    w.into_inner().unwrap_or_default()
}

// ------------------------------------------------------------------ mapping

/// Where an import column goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Field {
    /// The column is not imported.
    Ignore,
    FirstName,
    LastName,
    /// A full name, split at the first space.
    FullName,
    Email,
    Phone,
    Company,
    Source,
    Lifecycle,
    /// Tags separated by `,` or `|`.
    Tags,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    Referrer,
    LandingPage,
    /// A custom field by key.
    Custom(String),
}

impl Field {
    /// Every fixed field, in the order the mapping menu lists them.
    pub const FIXED: [Field; 17] = [
        Field::Ignore,
        Field::FirstName,
        Field::LastName,
        Field::FullName,
        Field::Email,
        Field::Phone,
        Field::Company,
        Field::Source,
        Field::Lifecycle,
        Field::Tags,
        Field::UtmSource,
        Field::UtmMedium,
        Field::UtmCampaign,
        Field::UtmTerm,
        Field::UtmContent,
        Field::Referrer,
        Field::LandingPage,
    ];

    /// The machine name used in `--map header=field` and forms.
    pub fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Field::Ignore => "ignore",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::FullName => "full_name",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Company => "company",
            Field::Source => "source",
            Field::Lifecycle => "lifecycle",
            Field::Tags => "tags",
            Field::UtmSource => "utm_source",
            Field::UtmMedium => "utm_medium",
            Field::UtmCampaign => "utm_campaign",
            Field::UtmTerm => "utm_term",
            Field::UtmContent => "utm_content",
            Field::Referrer => "referrer",
            Field::LandingPage => "landing_page",
            Field::Custom(k) => return Cow::Owned(format!("custom:{k}")),
        })
    }

    /// Parses a machine name (`email`, `custom:budget`, ...). Also accepts
    /// `name` for the full name and an empty string for "ignore".
    pub fn parse(raw: &str) -> Result<Field, String> {
        let s = raw.trim();
        if let Some(key) = s.strip_prefix("custom:") {
            let key = key.trim();
            if key.is_empty()
                || key.len() > 64
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!("{raw:?} is not a custom field key"));
            }
            return Ok(Field::Custom(key.to_string()));
        }
        let lower = s.to_ascii_lowercase();
        if lower.is_empty() || lower == "-" {
            return Ok(Field::Ignore);
        }
        if lower == "name" {
            return Ok(Field::FullName);
        }
        Field::FIXED
            .iter()
            .find(|f| f.name() == lower)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "unknown field {raw:?}: expected one of {}, or custom:<key>",
                    Field::FIXED
                        .iter()
                        .map(|f| f.name().into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

impl From<Field> for String {
    fn from(f: Field) -> String {
        f.name().into_owned()
    }
}

impl TryFrom<String> for Field {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Field::parse(&s)
    }
}

/// Lower-case ASCII letters and digits of a header, accents folded,
/// everything else one `_`: `"Teléfono Móvil"` → `telefono_movil`.
pub fn header_key(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The field a header most likely means, from Spanish and English names;
/// `has_last_name` says whether another column holds last names (then a
/// plain "nombre"/"name" is the first name, else the full name).
fn suggest_one(key: &str, has_last_name: bool, custom_keys: &[(String, String)]) -> Field {
    if let Some(k) = key.strip_prefix("custom_")
        && let Some((ck, _)) = custom_keys.iter().find(|(ck, _)| header_key(ck) == k)
    {
        return Field::Custom(ck.clone());
    }
    let f = match key {
        "first_name" | "firstname" | "first" | "given_name" | "primer_nombre" | "nombres"
        | "nombre_de_pila" => Field::FirstName,
        "nombre" | "name" | "contacto" | "contact" if has_last_name => Field::FirstName,
        "last_name" | "lastname" | "last" | "surname" | "family_name" | "apellido"
        | "apellidos" | "primer_apellido" => Field::LastName,
        "nombre" | "name" | "contacto" | "contact" | "full_name" | "fullname"
        | "nombre_completo" | "nombre_y_apellido" | "nombre_y_apellidos" | "cliente" => {
            Field::FullName
        }
        "email"
        | "e_mail"
        | "mail"
        | "correo"
        | "correo_electronico"
        | "email_address"
        | "direccion_de_correo"
        | "correo_e" => Field::Email,
        "phone" | "telefono" | "tel" | "movil" | "celular" | "mobile" | "phone_number"
        | "telefono_movil" | "numero_de_telefono" | "whatsapp" | "cel" | "telefono_celular" => {
            Field::Phone
        }
        "company" | "empresa" | "compania" | "organization" | "organizacion" | "negocio"
        | "company_name" | "razon_social" => Field::Company,
        "source" | "fuente" | "origen" | "lead_source" | "canal" => Field::Source,
        "lifecycle" | "estado" | "status" | "etapa_de_vida" | "ciclo_de_vida" => Field::Lifecycle,
        "tags" | "tag" | "etiquetas" | "etiqueta" | "labels" => Field::Tags,
        "utm_source" | "first_utm_source" => Field::UtmSource,
        "utm_medium" | "first_utm_medium" => Field::UtmMedium,
        "utm_campaign" | "first_utm_campaign" | "campana" | "campaign" => Field::UtmCampaign,
        "utm_term" | "first_utm_term" => Field::UtmTerm,
        "utm_content" | "first_utm_content" => Field::UtmContent,
        "referrer" | "referer" | "first_referrer" | "referente" => Field::Referrer,
        "landing_page" | "first_landing_page" | "pagina_de_aterrizaje" => Field::LandingPage,
        _ => Field::Ignore,
    };
    if f != Field::Ignore {
        return f;
    }
    // A custom field by its key or its label.
    custom_keys
        .iter()
        .find(|(ck, label)| header_key(ck) == key || header_key(label) == key)
        .map(|(ck, _)| Field::Custom(ck.clone()))
        .unwrap_or(Field::Ignore)
}

/// Suggested field per header (same order). `custom` lists the workspace's
/// custom fields as `(key, label)`. A field is suggested for one column
/// only: later columns that would repeat it are ignored.
pub fn suggest_mapping(headers: &[String], custom: &[(String, String)]) -> Vec<Field> {
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let has_last = keys
        .iter()
        .any(|k| suggest_one(k, false, &[]) == Field::LastName);
    let mut used: Vec<Field> = Vec::new();
    keys.iter()
        .map(|k| {
            let f = suggest_one(k, has_last, custom);
            if f == Field::Ignore || used.contains(&f) {
                Field::Ignore
            } else {
                used.push(f.clone());
                f
            }
        })
        .collect()
}

/// A mapping from header names: the suggestions, with `overrides`
/// (`header=field` pairs, headers compared by [`header_key`]) applied.
/// Unknown headers in overrides and unknown fields are errors.
pub fn mapping_with_overrides(
    headers: &[String],
    custom: &[(String, String)],
    overrides: &[(String, String)],
) -> Result<Vec<Field>, String> {
    let mut mapping = suggest_mapping(headers, custom);
    for (header, field) in overrides {
        let field = Field::parse(field)?;
        let key = header_key(header);
        let i = headers
            .iter()
            .position(|h| h == header)
            .or_else(|| headers.iter().position(|h| header_key(h) == key))
            .ok_or_else(|| {
                format!(
                    "no column {header:?} in the file (columns: {})",
                    headers.join(", ")
                )
            })?;
        if field != Field::Ignore {
            for m in mapping.iter_mut() {
                if *m == field {
                    *m = Field::Ignore;
                }
            }
        }
        mapping[i] = field;
    }
    Ok(mapping)
}

/// Checks a mapping: the right width, each field at most once, and at least
/// an email or a phone column (the upsert rule needs one).
pub fn check_mapping(mapping: &[Field], width: usize) -> Result<(), String> {
    if mapping.len() != width {
        return Err("the mapping does not match the file's columns".into());
    }
    let mut seen: Vec<&Field> = Vec::new();
    for f in mapping.iter().filter(|f| **f != Field::Ignore) {
        if seen.contains(&f) {
            return Err(format!("field {} is mapped twice", f.name()));
        }
        seen.push(f);
    }
    if !mapping
        .iter()
        .any(|f| matches!(f, Field::Email | Field::Phone))
    {
        return Err("map a column to email or phone".into());
    }
    Ok(())
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Tags of a cell: separated by `,` or `|`, empty parts dropped.
pub fn split_tags(cell: &str) -> Vec<String> {
    cell.split([',', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Applies a mapping to a row's cells: the row as the one contact input,
/// validated like every other door's (`contact_input::validate_contact`).
pub fn map_row(mapping: &[Field], cells: &[String]) -> RawContact {
    let mut r = RawContact::default();
    for (field, cell) in mapping.iter().zip(cells) {
        let v = non_empty(cell);
        match field {
            Field::Ignore => {}
            Field::FirstName => r.first_name = v,
            Field::LastName => r.last_name = v,
            Field::FullName => {
                if let Some(v) = v {
                    let (first, last) = crate::contact::split_name(&v);
                    if r.first_name.is_none() {
                        r.first_name = Some(first).filter(|s| !s.is_empty());
                    }
                    if r.last_name.is_none() {
                        r.last_name = Some(last).filter(|s| !s.is_empty());
                    }
                }
            }
            Field::Email => r.email = v,
            Field::Phone => r.phone = v,
            Field::Company => r.company = v,
            Field::Source => r.source = v,
            Field::Lifecycle => r.lifecycle = v,
            Field::Tags => r.tags = split_tags(cell),
            Field::UtmSource => r.utm.source = v,
            Field::UtmMedium => r.utm.medium = v,
            Field::UtmCampaign => r.utm.campaign = v,
            Field::UtmTerm => r.utm.term = v,
            Field::UtmContent => r.utm.content = v,
            Field::Referrer => r.referrer = v,
            Field::LandingPage => r.landing_page = v,
            Field::Custom(k) => {
                if let Some(v) = v {
                    r.custom.insert(k.clone(), serde_json::Value::String(v));
                }
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8]) -> (Vec<String>, Vec<(usize, Vec<String>)>) {
        let mut f = CsvFile::open(bytes).expect("opens");
        let mut out = vec![];
        while let Some(r) = f.next_row() {
            out.push(r.expect("row"));
        }
        (f.headers.clone(), out)
    }

    #[test]
    fn bom_semicolons_and_quoted_newlines() {
        let data = "\u{feff}Nombre;Correo;Notas\r\n\"Pérez, Ana\";ana@x.com;\"línea 1\nlínea 2\"\r\n\r\nLuis;luis@x.com\r\n";
        let (h, r) = rows(data.as_bytes());
        assert_eq!(h, ["Nombre", "Correo", "Notas"]);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].1, ["Pérez, Ana", "ana@x.com", "línea 1\nlínea 2"]);
        assert_eq!(
            r[1].0, 3,
            "rows are numbered like records: header 1, blank lines skipped"
        );
        assert_eq!(r[1].1, ["Luis", "luis@x.com", ""], "short rows padded");
        assert_eq!(sniff_delimiter(b"a,b;c\n"), b',');
        assert_eq!(sniff_delimiter(b"\"a;b\",c\n"), b',', "quotes respected");
        assert_eq!(sniff_delimiter(b"a\tb\n"), b'\t');
    }

    #[test]
    fn unreadable_files_are_errors_not_panics() {
        assert_eq!(CsvFile::open(b"").err(), Some(CsvError::Empty));
        assert_eq!(CsvFile::open(UTF8_BOM).err(), Some(CsvError::Empty));
        assert_eq!(CsvFile::open(b"\xff\xfe a").err(), Some(CsvError::NotUtf8));
        let wide = vec!["x"; MAX_COLUMNS + 1].join(",");
        assert_eq!(
            CsvFile::open(wide.as_bytes()).err(),
            Some(CsvError::TooManyColumns)
        );
    }

    #[test]
    fn suggestions_from_spanish_and_english_headers() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let custom = vec![("presupuesto".to_string(), "Presupuesto".to_string())];
        let m = suggest_mapping(
            &h(&[
                "Nombre",
                "Apellidos",
                "Correo electrónico",
                "Teléfono",
                "Empresa",
                "Fuente",
                "Etiquetas",
                "utm_campaign",
                "Presupuesto",
                "Otra cosa",
                "Email",
            ]),
            &custom,
        );
        assert_eq!(
            m,
            vec![
                Field::FirstName,
                Field::LastName,
                Field::Email,
                Field::Phone,
                Field::Company,
                Field::Source,
                Field::Tags,
                Field::UtmCampaign,
                Field::Custom("presupuesto".into()),
                Field::Ignore,
                Field::Ignore,
            ]
        );
        let m = suggest_mapping(&h(&["Name", "E-mail", "Phone Number", "Company"]), &[]);
        assert_eq!(
            m,
            vec![Field::FullName, Field::Email, Field::Phone, Field::Company]
        );
        let m = mapping_with_overrides(
            &h(&["Name", "Mail", "X"]),
            &[],
            &[
                ("x".into(), "phone".into()),
                ("Name".into(), "ignore".into()),
            ],
        )
        .expect("valid");
        assert_eq!(m, vec![Field::Ignore, Field::Email, Field::Phone]);
        assert!(mapping_with_overrides(&h(&["a"]), &[], &[("b".into(), "email".into())]).is_err());
        assert!(mapping_with_overrides(&h(&["a"]), &[], &[("a".into(), "nope".into())]).is_err());
        assert!(check_mapping(&[Field::FirstName], 1).is_err());
        assert!(check_mapping(&[Field::Email, Field::Email], 2).is_err());
        assert!(check_mapping(&[Field::Email, Field::Phone], 2).is_ok());
    }

    #[test]
    fn rows_map_to_contacts() {
        let mapping = vec![Field::FullName, Field::Tags, Field::Custom("k".into())];
        let r = map_row(
            &mapping,
            &[
                "  María  José Pérez ".into(),
                "vip| hot ,,x".into(),
                "1".into(),
            ],
        );
        assert_eq!(r.first_name.as_deref(), Some("María"));
        assert_eq!(r.last_name.as_deref(), Some("José Pérez"));
        assert_eq!(r.tags, ["vip", "hot", "x"]);
        assert_eq!(
            r.custom.into_iter().collect::<Vec<_>>(),
            [("k".to_string(), serde_json::Value::from("1"))]
        );
    }

    #[test]
    fn formula_cells_are_guarded_and_unguarded() {
        for bad in ["=1+1", "+52811", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(safe_cell(bad).starts_with('\''), "{bad:?}");
            assert_eq!(clean_cell(&safe_cell(bad)), bad);
        }
        assert_eq!(safe_cell("Ana"), "Ana");
        assert_eq!(clean_cell("'quoted"), "'quoted");
        assert_eq!(clean_cell(&safe_cell("'=x")), "'=x");
        let line =
            String::from_utf8(csv_line(&["a,b", "say \"hi\"", "x\ny", "=cmd"])).expect("utf8");
        assert_eq!(line, "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",'=cmd\r\n");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            if let Ok(mut f) = CsvFile::open(&data) {
                let m = suggest_mapping(&f.headers, &[]);
                while let Some(r) = f.next_row() {
                    match r {
                        Ok((_, cells)) => { let _ = map_row(&m, &cells); }
                        Err(_) => break,
                    }
                }
            }
        }

        #[test]
        fn csv_lines_read_back(cells in proptest::collection::vec("[^\u{0}]{0,12}", 1..6)) {
            let mut data = csv_line(&cells.iter().map(|_| "h").collect::<Vec<_>>());
            data.extend(csv_line(&cells));
            let mut f = CsvFile::open(&data).expect("opens");
            if let Some(Ok((_, got))) = f.next_row() {
                let want: Vec<String> = cells.iter().map(|c| clean_cell(&safe_cell(c)).to_string()).collect();
                if want.iter().any(|c| !c.is_empty()) {
                    proptest::prop_assert_eq!(got, want);
                }
            }
        }
    }
}

#[cfg(test)]
mod guard_round_trip {
    use super::{clean_cell, safe_cell};

    #[test]
    fn any_number_of_leading_quotes_survives_export_and_import() {
        for v in [
            "=1", "'=1", "''=o|=wc", "'''+52", "'abc", "''", "plain", "-5",
        ] {
            assert_eq!(clean_cell(&safe_cell(v)), v, "{v:?}");
        }
    }
}
