//! SMS keyword handling as Twilio applies it on long codes: a message that is
//! exactly one keyword (after trimming, any case) opts the sender out, back in,
//! or asks for help. Anything longer ("STOP PLEASE") is an ordinary message.

/// What an inbound SMS / WhatsApp text means for consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT.
    OptOut,
    /// START, YES, UNSTOP.
    OptIn,
    /// HELP, INFO.
    Help,
}

/// Twilio's default opt-out keywords.
pub const OPT_OUT: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
/// Twilio's default opt-in keywords.
pub const OPT_IN: &[&str] = &["START", "YES", "UNSTOP"];
/// Twilio's default help keywords.
pub const HELP: &[&str] = &["HELP", "INFO"];

/// Classifies a whole inbound message body; `None` for ordinary text.
pub fn classify(body: &str) -> Option<Keyword> {
    let word = body.trim().to_uppercase();
    if OPT_OUT.contains(&word.as_str()) {
        Some(Keyword::OptOut)
    } else if OPT_IN.contains(&word.as_str()) {
        Some(Keyword::OptIn)
    } else if HELP.contains(&word.as_str()) {
        Some(Keyword::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_table() {
        let cases: &[(&str, Option<Keyword>)] = &[
            ("STOP", Some(Keyword::OptOut)),
            ("stop", Some(Keyword::OptOut)),
            (" Stop ", Some(Keyword::OptOut)),
            ("\tstop\r\n", Some(Keyword::OptOut)),
            ("StopAll", Some(Keyword::OptOut)),
            ("unsubscribe", Some(Keyword::OptOut)),
            ("Cancel", Some(Keyword::OptOut)),
            ("END", Some(Keyword::OptOut)),
            ("quit", Some(Keyword::OptOut)),
            ("START", Some(Keyword::OptIn)),
            ("yes", Some(Keyword::OptIn)),
            (" Unstop", Some(Keyword::OptIn)),
            ("HELP", Some(Keyword::Help)),
            ("info ", Some(Keyword::Help)),
            ("STOP PLEASE", None),
            ("please stop", None),
            ("STOPP", None),
            ("S T O P", None),
            ("yes please", None),
            ("", None),
            ("hola", None),
        ];
        for (input, want) in cases {
            assert_eq!(classify(input), *want, "{input:?}");
        }
    }
}
