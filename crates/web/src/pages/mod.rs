//! HTML pages, one module per area. Handlers are short: extract, authorize,
//! call the database, render.

pub mod api_docs;
pub mod audit;
pub mod automations;
pub mod board;
pub mod booking;
pub mod calendars;
pub mod channels;
pub mod contacts;
pub mod conversations;
pub mod forms;
pub mod imports;
pub mod jobs;
pub mod messages;
pub mod notifications;
pub mod public;
pub mod reports;
pub mod search;
pub mod settings;
pub mod shell;
pub mod unsubscribe;
pub mod webhooks;
pub mod workspaces;

/// An instant as the reader reads it, in the workspace's time zone: "5 dic
/// 2026, 1:28 a. m." / "Dec 5, 2026, 1:28 AM".
pub fn fmt_when(ts: af_db::Ts, time_zone: &str, locale: af_core::Locale) -> String {
    use af_core::datetime;
    datetime::date_time(ts.0, &datetime::zone(time_zone), locale)
}

/// Like [`fmt_when`], but "hace 5 min" / "5 min ago" within a week of
/// `now`: for activity, where how long ago matters more than the date.
pub fn fmt_ago(ts: af_db::Ts, now: af_db::Ts, time_zone: &str, locale: af_core::Locale) -> String {
    use af_core::datetime;
    datetime::relative(ts.0, now.0, &datetime::zone(time_zone), locale)
}

/// The ways to reach a contact in one tap: WhatsApp (`https://wa.me/`
/// takes the number's digits), a call (`tel:` takes E.164) and an email.
/// The deal drawer and the contact page show the same three.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReachLinks {
    /// Digits of the phone, for `https://wa.me/{digits}`.
    pub whatsapp: Option<String>,
    /// The stored phone (E.164), for `tel:`.
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl ReachLinks {
    pub fn of(phone: Option<&str>, email: Option<&str>) -> Self {
        let phone = phone
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        let whatsapp = phone
            .as_deref()
            .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
            .filter(|d| !d.is_empty());
        let email = email
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        Self {
            whatsapp,
            phone,
            email,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.whatsapp.is_none() && self.phone.is_none() && self.email.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::ReachLinks;

    #[test]
    fn reach_links_take_the_digits_for_whatsapp_and_skip_blanks() {
        let r = ReachLinks::of(Some("+52 55 1234 5678"), Some("  "));
        assert_eq!(r.whatsapp.as_deref(), Some("525512345678"));
        assert_eq!(r.email, None);
        assert!(ReachLinks::of(Some(" "), None).is_empty());
    }
}
