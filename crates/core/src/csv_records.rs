//! The columns of the CSV imports that are not contacts — activities (a
//! gym's check-ins, a shop's purchases) and memberships (a billing
//! system's subscriptions) — with suggestions from Spanish and English
//! headers, the mapping's checks, and a row's cells by column. The rows
//! themselves go through the same use cases as the API
//! (`af_service::scoring`, `af_service::memberships`), so an imported row
//! is checked exactly like a posted one.

use crate::csv_io::header_key;
use std::collections::HashMap;

/// What an import brings in (`imports.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportKind {
    Contacts,
    Activities,
    Memberships,
}

impl ImportKind {
    pub const ALL: [ImportKind; 3] = [
        ImportKind::Contacts,
        ImportKind::Activities,
        ImportKind::Memberships,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Contacts => "contacts",
            ImportKind::Activities => "activities",
            ImportKind::Memberships => "memberships",
        }
    }

    pub fn parse(s: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The columns a file of this kind may map to (contacts use
    /// `csv_io::Field` instead: empty here).
    pub fn columns(self) -> &'static [Column] {
        use Column::*;
        match self {
            ImportKind::Contacts => &[],
            ImportKind::Activities => &[
                ContactId,
                Email,
                Phone,
                Type,
                OccurredAt,
                Amount,
                Currency,
                Note,
                IdempotencyKey,
            ],
            ImportKind::Memberships => &[
                ContactId, Email, Phone, Name, Plan, Status, StartsAt, EndsAt, Amount, Currency,
                ExternalId,
            ],
        }
    }
}

/// A column of an activities or memberships file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Ignore,
    ContactId,
    Email,
    Phone,
    /// The new contact's name (memberships), when the email or phone is unknown.
    Name,
    /// The activity type (`visit`, `purchase`, a custom one).
    Type,
    OccurredAt,
    /// In major units as people write them (`1.250,50`, `499.00`).
    Amount,
    Currency,
    /// Free text kept in the activity's data.
    Note,
    IdempotencyKey,
    Plan,
    Status,
    StartsAt,
    EndsAt,
    ExternalId,
}

impl Column {
    const NAMES: [(Column, &'static str); 16] = [
        (Column::Ignore, "ignore"),
        (Column::ContactId, "contact_id"),
        (Column::Email, "email"),
        (Column::Phone, "phone"),
        (Column::Name, "name"),
        (Column::Type, "type"),
        (Column::OccurredAt, "occurred_at"),
        (Column::Amount, "amount"),
        (Column::Currency, "currency"),
        (Column::Note, "note"),
        (Column::IdempotencyKey, "idempotency_key"),
        (Column::Plan, "plan"),
        (Column::Status, "status"),
        (Column::StartsAt, "starts_at"),
        (Column::EndsAt, "ends_at"),
        (Column::ExternalId, "external_id"),
    ];

    /// The stored name (the mapping is stored as these names).
    pub fn name(self) -> &'static str {
        Column::NAMES
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, n)| *n)
            .unwrap_or("ignore")
    }

    /// A column of `kind` by its stored name (`ignore` is always allowed).
    pub fn parse(kind: ImportKind, name: &str) -> Option<Column> {
        let c = Column::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(c, _)| *c)?;
        (c == Column::Ignore || kind.columns().contains(&c)).then_some(c)
    }
}

/// The column a header most likely means in a file of `kind`.
fn suggest_one(kind: ImportKind, key: &str) -> Column {
    use Column::*;
    let c = match key {
        "contact_id" | "id_contacto" | "contacto_id" => ContactId,
        "email" | "e_mail" | "mail" | "correo" | "correo_electronico" | "email_address" => Email,
        "phone" | "telefono" | "tel" | "movil" | "celular" | "mobile" | "whatsapp"
        | "phone_number" => Phone,
        "name" | "nombre" | "full_name" | "nombre_completo" | "cliente" | "socio" | "member" => {
            Name
        }
        "type" | "tipo" | "activity" | "actividad" | "evento" | "event" | "activity_type"
        | "tipo_de_actividad" => Type,
        "occurred_at" | "fecha" | "date" | "fecha_y_hora" | "datetime" | "timestamp" | "hora"
        | "cuando" | "when" => OccurredAt,
        "amount" | "monto" | "importe" | "total" | "precio" | "price" | "valor" => Amount,
        "currency" | "moneda" | "divisa" => Currency,
        "note" | "nota" | "notas" | "notes" | "detalle" | "descripcion" | "description" => Note,
        "idempotency_key" | "id_externo_actividad" | "activity_id" | "id_actividad" => {
            IdempotencyKey
        }
        "plan" | "membresia" | "membership" | "plan_name" | "nombre_del_plan" | "paquete" => Plan,
        "status" | "estado" | "estatus" => Status,
        "starts_at" | "inicio" | "fecha_de_inicio" | "start" | "start_date" | "desde" => StartsAt,
        "ends_at" | "fin" | "fecha_de_fin" | "vencimiento" | "end" | "end_date" | "renewal"
        | "renovacion" | "hasta" => EndsAt,
        "external_id" | "id_externo" | "subscription_id" | "id_suscripcion" => ExternalId,
        _ => Ignore,
    };
    if kind.columns().contains(&c) {
        return c;
    }
    // "fecha" of a memberships file is its start.
    match (kind, c) {
        (ImportKind::Memberships, OccurredAt) => StartsAt,
        (ImportKind::Activities, IdempotencyKey | ExternalId) => IdempotencyKey,
        _ => Ignore,
    }
}

/// Suggested column per header (same order), each column for one header
/// only.
pub fn suggest(kind: ImportKind, headers: &[String]) -> Vec<Column> {
    let mut used: Vec<Column> = Vec::new();
    headers
        .iter()
        .map(|h| {
            let c = suggest_one(kind, &header_key(h));
            if c == Column::Ignore || used.contains(&c) {
                Column::Ignore
            } else {
                used.push(c);
                c
            }
        })
        .collect()
}

/// Why a mapping cannot run (a stable code the web translates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingProblem {
    /// Two columns map to one field.
    Twice,
    /// No contact id, email or phone column.
    NoContactKey,
    /// Activities without a type column, memberships without a plan.
    Missing(Column),
    /// The mapping has a different number of columns than the file.
    Width,
}

/// Checks a mapping for a file of `width` columns.
pub fn check(kind: ImportKind, mapping: &[Column], width: usize) -> Result<(), MappingProblem> {
    if mapping.len() != width {
        return Err(MappingProblem::Width);
    }
    let mut seen: Vec<Column> = Vec::new();
    for c in mapping.iter().filter(|c| **c != Column::Ignore) {
        if seen.contains(c) {
            return Err(MappingProblem::Twice);
        }
        seen.push(*c);
    }
    let has = |c: Column| seen.contains(&c);
    if !has(Column::ContactId) && !has(Column::Email) && !has(Column::Phone) {
        return Err(MappingProblem::NoContactKey);
    }
    let needed = match kind {
        ImportKind::Activities => Some(Column::Type),
        ImportKind::Memberships => Some(Column::Plan),
        ImportKind::Contacts => None,
    };
    match needed {
        Some(c) if !has(c) => Err(MappingProblem::Missing(c)),
        _ => Ok(()),
    }
}

/// A row's non-empty cells by column (trimmed).
pub fn cells_by_column<'a>(mapping: &[Column], cells: &'a [String]) -> HashMap<Column, &'a str> {
    mapping
        .iter()
        .zip(cells)
        .filter(|(c, _)| **c != Column::Ignore)
        .map(|(c, v)| (*c, crate::csv_io::clean_cell(v)))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The activity type a cell names: the built-in types by their Spanish or
/// English names (`Visita`, `Check-in`, `Compra`...), else the cell as a
/// custom type (`header_key` form: `Clase de prueba` → `clase_de_prueba`),
/// which the activity check accepts or refuses.
pub fn activity_type(cell: &str) -> String {
    let key = header_key(cell);
    let t = match key.as_str() {
        "visita" | "visit" | "check_in" | "checkin" | "asistencia" | "entrada" | "ingreso" => {
            "visit"
        }
        "compra" | "purchase" | "venta" | "pago" | "payment" | "sale" => "purchase",
        "clase_reservada" | "reserva_de_clase" | "class_booked" | "reserva" | "clase" => {
            "class_booked"
        }
        "cita_atendida" | "asistio" | "appointment_attended" | "attended" => "appointment_attended",
        "cita_reservada" | "cita_agendada" | "appointment_booked" => "appointment_booked",
        "correo_abierto" | "email_abierto" | "email_opened" => "email_opened",
        "clic_en_correo" | "email_clicked" => "email_clicked",
        "respondio" | "respuesta" | "message_replied" => "message_replied",
        "formulario" | "form_submitted" => "form_submitted",
        _ => return key,
    };
    t.to_string()
}

/// The membership status a cell names, in Spanish or English (`Activa`,
/// `Vencida`, `past due`...); `None` when it names none.
pub fn membership_status(cell: &str) -> Option<&'static str> {
    Some(match header_key(cell).as_str() {
        "active" | "activa" | "activo" | "vigente" | "al_dia" => "active",
        "trial" | "prueba" | "en_prueba" | "periodo_de_prueba" => "trial",
        "past_due" | "pago_pendiente" | "vencido_el_pago" | "atrasada" | "atrasado" | "moroso"
        | "morosa" => "past_due",
        "cancelled" | "canceled" | "cancelada" | "cancelado" | "baja" => "cancelled",
        "expired" | "vencida" | "vencido" | "expirada" | "expirado" | "caducada" => "expired",
        _ => return None,
    })
}

/// An instant written in a spreadsheet: RFC 3339 (`2026-12-01T18:30:00Z`),
/// or a local date or date and time in `tz` — ISO (`2026-12-01`,
/// `2026-12-01 18:30`) or day first as Spanish speakers write it
/// (`01/12/2026`, `1/12/2026 18:30`).
pub fn parse_instant(raw: &str, tz: &jiff::tz::TimeZone) -> Option<jiff::Timestamp> {
    let t = raw.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    let (date_part, time_part) = match t.split_once([' ', 'T']) {
        Some((d, rest)) => (d, Some(rest.trim())),
        None => (t, None),
    };
    let date = if let Ok(d) = date_part.parse::<jiff::civil::Date>() {
        d
    } else {
        let mut it = date_part.split(['/', '-', '.']);
        let (d, m, y) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || y.len() != 4 {
            return None;
        }
        jiff::civil::Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()?
    };
    let time = match time_part {
        None => jiff::civil::Time::midnight(),
        Some(s) => {
            let mut it = s.split(':');
            let h: i8 = it.next()?.parse().ok()?;
            let m: i8 = it.next()?.parse().ok()?;
            let sec: i8 = match it.next() {
                Some(x) => x.parse().ok()?,
                None => 0,
            };
            if it.next().is_some() {
                return None;
            }
            jiff::civil::Time::new(h, m, sec, 0).ok()?
        }
    };
    date.to_datetime(time)
        .to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_types_statuses_and_instants() {
        assert_eq!(activity_type("Check-in"), "visit");
        assert_eq!(activity_type("Compra"), "purchase");
        assert_eq!(activity_type("Clase de prueba"), "clase_de_prueba");
        assert_eq!(membership_status("Vencida"), Some("expired"));
        assert_eq!(membership_status("past due"), Some("past_due"));
        assert_eq!(membership_status("quizás"), None);
        let tz = jiff::tz::TimeZone::get("America/Mexico_City").expect("zone");
        let at = |s: &str| parse_instant(s, &tz).map(|t| t.to_string());
        assert_eq!(
            at("2026-12-01T18:30:00Z").as_deref(),
            Some("2026-12-01T18:30:00Z")
        );
        assert_eq!(at("2026-12-01").as_deref(), Some("2026-12-01T06:00:00Z"));
        assert_eq!(
            at("2026-12-01 18:30").as_deref(),
            Some("2026-12-02T00:30:00Z")
        );
        assert_eq!(at("01/12/2026").as_deref(), Some("2026-12-01T06:00:00Z"));
        assert_eq!(
            at("1/12/2026 7:05:09").as_deref(),
            Some("2026-12-01T13:05:09Z")
        );
        for bad in [
            "",
            "mañana",
            "32/12/2026",
            "2026/12/01",
            "01/12/26",
            "2026-12-01 25:00",
            "1/2/3/2026",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn suggests_from_spanish_and_english_headers() {
        let m = suggest(
            ImportKind::Activities,
            &headers(&[
                "Correo", "Tipo", "Fecha", "Monto", "Moneda", "Notas", "Plan",
            ]),
        );
        use Column::*;
        assert_eq!(
            m,
            vec![Email, Type, OccurredAt, Amount, Currency, Note, Ignore]
        );
        let m = suggest(
            ImportKind::Memberships,
            &headers(&[
                "email",
                "Membresía",
                "Estado",
                "Fecha",
                "Vencimiento",
                "ID externo",
                "email",
            ]),
        );
        assert_eq!(
            m,
            vec![Email, Plan, Status, StartsAt, EndsAt, ExternalId, Ignore]
        );
    }

    #[test]
    fn checks_the_mapping() {
        use Column::*;
        let k = ImportKind::Activities;
        assert_eq!(check(k, &[Email, Type], 2), Ok(()));
        assert_eq!(check(k, &[Email, Type], 3), Err(MappingProblem::Width));
        assert_eq!(
            check(k, &[Email, Email, Type], 3),
            Err(MappingProblem::Twice)
        );
        assert_eq!(
            check(k, &[Type, Note], 2),
            Err(MappingProblem::NoContactKey)
        );
        assert_eq!(
            check(k, &[Phone, Note], 2),
            Err(MappingProblem::Missing(Type))
        );
        assert_eq!(
            check(ImportKind::Memberships, &[Email, Status], 2),
            Err(MappingProblem::Missing(Plan))
        );
    }

    #[test]
    fn names_round_trip_per_kind() {
        for kind in [ImportKind::Activities, ImportKind::Memberships] {
            for c in kind.columns() {
                assert_eq!(Column::parse(kind, c.name()), Some(*c));
            }
        }
        assert_eq!(Column::parse(ImportKind::Activities, "plan"), None);
        assert_eq!(
            Column::parse(ImportKind::Memberships, "ignore"),
            Some(Column::Ignore)
        );
        assert_eq!(Column::parse(ImportKind::Memberships, "nope"), None);
    }

    #[test]
    fn cells_are_trimmed_and_empty_ones_left_out() {
        use Column::*;
        let cells = vec![" a@b.co ".to_string(), "".to_string(), "visit".to_string()];
        let m = cells_by_column(&[Email, Note, Type], &cells);
        assert_eq!(m.get(&Email), Some(&"a@b.co"));
        assert_eq!(m.get(&Note), None);
        assert_eq!(m.get(&Type), Some(&"visit"));
    }
}
