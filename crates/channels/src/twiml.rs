//! TwiML documents for calls (`<Say>` in the workspace's language or
//! `<Play>` a recording) and SMS replies (`<Message>`), with XML escaping so
//! contact-provided text cannot inject verbs.

use crate::message::VoiceSpec;

/// Escapes text for XML element content and double-quoted attributes, and
/// drops characters XML 1.0 forbids (most control characters).
pub fn escape_xml(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// `<Response><Say language="…">text</Say></Response>`.
pub fn say(text: &str, language: Option<&str>) -> String {
    let lang = language
        .map(|l| format!(" language=\"{}\"", escape_xml(l)))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say{lang}>{}</Say></Response>",
        escape_xml(text)
    )
}

/// `<Response><Play>url</Play></Response>`.
pub fn play(url: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Play>{}</Play></Response>",
        escape_xml(url)
    )
}

/// `<Response><Message>text</Message></Response>` (reply to an inbound SMS,
/// e.g. the HELP answer). An empty `<Response/>` when `text` is empty.
pub fn message_reply(text: &str) -> String {
    if text.is_empty() {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".to_owned();
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>",
        escape_xml(text)
    )
}

/// The TwiML for a voice step: plays the recording when there is one, else
/// reads the text. `None` when the spec has neither.
pub fn for_voice(spec: &VoiceSpec) -> Option<String> {
    if let Some(url) = spec.play_url.as_deref().filter(|u| !u.trim().is_empty()) {
        return Some(play(url.trim()));
    }
    let text = spec.say_text.as_deref().filter(|t| !t.trim().is_empty())?;
    Some(say(text, spec.language.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn say_escapes_text_and_language() {
        assert_eq!(
            say("Hola <Ana> & \"equipo\"", Some("es-MX")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say language=\"es-MX\">Hola &lt;Ana&gt; &amp; &quot;equipo&quot;</Say></Response>"
        );
        let injected = say("</Say><Dial>+15550000</Dial><Say>", Some("es\"><Hangup/>"));
        assert!(!injected.contains("<Dial>") && !injected.contains("<Hangup/>"));
    }

    #[test]
    fn voice_prefers_recording() {
        let spec = VoiceSpec {
            say_text: Some("hola".into()),
            language: Some("es-MX".into()),
            play_url: Some("https://x.test/a.mp3?a=1&b=2".into()),
            machine_detection: false,
        };
        assert_eq!(
            for_voice(&spec).as_deref(),
            Some(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Play>https://x.test/a.mp3?a=1&amp;b=2</Play></Response>"
            )
        );
        assert!(for_voice(&VoiceSpec::default()).is_none());
        assert!(message_reply("a\u{1}b").ends_with("<Message>ab</Message></Response>"));
    }
}
