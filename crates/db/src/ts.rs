//! [`Ts`]: an instant as stored in the database.
//!
//! PostgreSQL gets a native `TIMESTAMPTZ`. SQLite has no time type, so it gets
//! UTC text in one fixed width (`2026-11-21T11:22:33.123456Z`): fixed width is
//! what makes `run_at <= $1` and `ORDER BY created_at` correct as text
//! comparisons. (jiff-sqlx's SQLite text drops trailing zero digits, which
//! breaks ordering, hence this type.)

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// A UTC instant stored portably. Microsecond precision on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ts(pub Timestamp);

impl Ts {
    /// Truncates to microseconds, the precision both backends keep, so a
    /// value read back equals the value written.
    pub fn new(t: Timestamp) -> Self {
        let micros = t.as_microsecond();
        Ts(Timestamp::from_microsecond(micros).unwrap_or(t))
    }

    fn to_sqlite_text(self) -> String {
        self.0.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
    }
}

// In the API's OpenAPI document: an RFC 3339 date-time string in UTC.
impl utoipa::PartialSchema for Ts {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some("A UTC instant (RFC 3339)."))
            .into()
    }
}

impl utoipa::ToSchema for Ts {
    fn name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
}

impl From<Timestamp> for Ts {
    fn from(t: Timestamp) -> Self {
        Ts::new(t)
    }
}

impl From<Ts> for Timestamp {
    fn from(t: Ts) -> Self {
        t.0
    }
}

impl std::fmt::Display for Ts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.to_sqlite_text(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Ts(text.parse::<Timestamp>()?))
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <jiff_sqlx::Timestamp as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode(jiff_sqlx::Timestamp::from(self.0), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let t = <jiff_sqlx::Timestamp as Decode<Postgres>>::decode(value)?;
        Ok(Ts(t.to_jiff()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_is_fixed_width_and_sorts() {
        let a = Ts::new("2026-11-21T11:22:33Z".parse().expect("valid"));
        let b = Ts::new("2026-11-21T11:22:33.5Z".parse().expect("valid"));
        assert_eq!(a.to_sqlite_text(), "2026-11-21T11:22:33.000000Z");
        assert_eq!(b.to_sqlite_text(), "2026-11-21T11:22:33.500000Z");
        assert!(a.to_sqlite_text() < b.to_sqlite_text());
        assert_eq!(
            b.to_sqlite_text().parse::<Timestamp>().expect("parses"),
            b.0
        );
    }
}
