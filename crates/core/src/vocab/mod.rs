//! One vocabulary: the statuses, channels and event kinds the product
//! stores as text, each defined once here. The database, the engine, the
//! channels, the API and the pages all name these values through the enums,
//! so a typo is a compile error and a page can translate every value
//! (`af-web`'s i18n holds the labels; this crate has no user-facing text).
//!
//! Every enum has the same small surface: `as_str()` is the stored value
//! (also its `Display` and its serde form), `parse` / `FromStr` read it
//! back and refuse anything else, `ALL` lists the values in a stable order.
//! Rows keep their columns as `String` (old rows may hold values written
//! before a variant existed), so comparisons are written
//! `row.status == MessageStatus::Sent`.

mod channel;
mod conversation_status;
mod enrollment_status;
mod event_kind;
mod membership_status;
mod message_status;
mod notification_kind;
mod retention;
mod step_run_status;

pub use channel::Channel;
pub use conversation_status::ConversationStatus;
pub use enrollment_status::EnrollmentStatus;
pub use event_kind::EventKind;
pub use membership_status::MembershipStatus;
pub use message_status::MessageStatus;
pub use notification_kind::NotificationKind;
pub use retention::{AlertStatus, AlertType};
pub use step_run_status::StepRunStatus;

use std::fmt;

/// A stored value that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// Which vocabulary was asked (`"message status"`).
    pub vocabulary: &'static str,
    /// What was given (at most 100 characters of it).
    pub value: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {}: {:?}", self.vocabulary, self.value)
    }
}

impl std::error::Error for UnknownValue {}

/// Declares a stored-text enum: the enum itself (written out in the
/// invocation, docs included) plus the shared surface described in the
/// module docs. Only the boilerplate is generated; each value's name and
/// text stay side by side in the invocation.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($vocabulary:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in a stable order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// Every stored value, in the order of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($value,)+];

            /// The value as stored.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)+
                }
            }

            /// Reads a stored value; `None` for anything else.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($value => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        // In the API's OpenAPI document: a named string enum of the stored
        // values, so integrators see the same vocabulary the code uses.
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::NAMES.iter().copied()))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}

        impl ::std::str::FromStr for $name {
            type Err = $crate::vocab::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s).ok_or_else(|| $crate::vocab::UnknownValue {
                    vocabulary: $vocabulary,
                    value: s.chars().take(100).collect(),
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }

        // Rows keep the stored text; these let `row.status == Status::X`
        // read as a comparison of values, not of spellings.
        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.as_str()
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == other.as_str()
            }
        }

        impl PartialEq<$name> for &String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }
    };
}
pub(crate) use stored_enum;

#[cfg(test)]
mod tests;
