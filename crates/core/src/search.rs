//! Contact search, the part without a database: one folding of case and
//! accents applied both to the text stored for search and to what the user
//! types, and the words a query asks for.
//!
//! Folding here rather than in SQL is what makes both backends agree:
//! SQLite's `lower()` only knows ASCII and neither backend removes accents
//! without an extension, so the stored `contacts.search_text` is already
//! folded and the query is folded the same way before it reaches SQL.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// At most this many words of a query are used; the rest are ignored (a
/// bounded number of conditions keeps the statement small and cacheable).
pub const MAX_TERMS: usize = 8;

/// A word longer than this is cut: no name or email is longer, and a
/// pasted paragraph should not become a huge index query.
pub const MAX_TERM_CHARS: usize = 100;

/// Lower-cases `s` and removes its accents: "Pérez" → "perez", "LUCÍA" →
/// "lucia", "Ñuñoa" → "nunoa". Compatibility forms fold too (full-width
/// "ＡＢＣ" → "abc", "ﬁ" → "fi"). Letters that are not a base letter plus a
/// mark (ø, ł, ß) stay as they are. Control characters become spaces.
pub fn fold(s: &str) -> String {
    // Lower-case first: some capitals lower-case to a letter plus a mark
    // ("İ" → "i̇"), which the decomposition then lets us drop.
    s.chars()
        .flat_map(char::to_lowercase)
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The text a contact is found by (`contacts.search_text`): name, email,
/// the phone's digits and company, folded. Digits only for the phone so
/// that any spelling of the number finds it (see [`terms`]).
pub fn contact_text(
    first: &str,
    last: &str,
    email: Option<&str>,
    phone: Option<&str>,
    company: Option<&str>,
) -> String {
    let digits = crate::phone::digits(phone.unwrap_or(""));
    fold(&format!(
        "{first} {last} {} {digits} {}",
        email.unwrap_or(""),
        company.unwrap_or("")
    ))
}

/// The words a query asks for, folded; a contact matches when its
/// [`contact_text`] contains every one of them (anywhere, in any order:
/// "garcia ana" finds "Ana María García", "luc" finds "Lucía").
///
/// A query that looks like a phone number (digits with spaces, dashes,
/// dots, brackets or a leading `+`) is one word, its digits: "55 8765",
/// "+52 55-8765-4321" and "5587654321" all find +52 55 8765 4321.
///
/// Empty for a blank query. Repeated words count once; at most
/// [`MAX_TERMS`] words of at most [`MAX_TERM_CHARS`] characters.
pub fn terms(q: &str) -> Vec<String> {
    let q = q.trim();
    let digits = crate::phone::digits(q);
    let phone_like = digits.len() >= 3
        && q.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone_like {
        return vec![digits.chars().take(MAX_TERM_CHARS).collect()];
    }
    let mut out: Vec<String> = Vec::new();
    for word in fold(q).split_whitespace() {
        let word: String = word.chars().take(MAX_TERM_CHARS).collect();
        if !out.contains(&word) {
            out.push(word);
        }
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_removes_case_and_accents() {
        assert_eq!(fold("Pérez"), "perez");
        assert_eq!(fold("PÉREZ"), "perez");
        assert_eq!(fold("LUCÍA Núñez"), "lucia nunez");
        assert_eq!(fold("Ñuñoa São Paulo Çà"), "nunoa sao paulo ca");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("ＡＢＣ ﬁn"), "abc fin");
        assert_eq!(fold("Ørsted"), "ørsted", "no decomposition: kept");
        assert_eq!(fold("a\0b\nc"), "a b c");
        // Already folded text folds to itself, so stored text can be
        // compared with a folded query.
        for s in ["perez", "lucia.perez@ejemplo.mx", "ørsted", "5587654321"] {
            assert_eq!(fold(s), s);
        }
    }

    #[test]
    fn contact_text_holds_name_email_digits_and_company() {
        assert_eq!(
            contact_text(
                "Lucía",
                "Pérez",
                Some("Lucia.Perez@Ejemplo.MX"),
                Some("+52 55 8765 4321"),
                Some("Florería Norte")
            ),
            "lucia perez lucia.perez@ejemplo.mx 525587654321 floreria norte"
        );
        assert_eq!(contact_text("Ana", "", None, None, None), "ana    ");
    }

    #[test]
    fn terms_are_folded_words_or_phone_digits() {
        assert_eq!(terms("  Pérez   LUCÍA "), ["perez", "lucia"]);
        assert_eq!(terms("55 8765"), ["558765"]);
        assert_eq!(terms("+52 55-8765-4321"), ["525587654321"]);
        assert_eq!(terms("(55) 8765.4321"), ["5587654321"]);
        assert_eq!(terms("12"), ["12"], "two digits: a word, not a phone");
        assert_eq!(terms("empresa 12"), ["empresa", "12"]);
        assert_eq!(terms("ana ANA ana"), ["ana"]);
        assert!(terms("").is_empty());
        assert!(terms(" \t\n").is_empty());
        assert!(terms("\0").is_empty());
        assert_eq!(terms("a b c d e f g h i j").len(), MAX_TERMS);
        assert_eq!(terms(&"x".repeat(500))[0].len(), MAX_TERM_CHARS);
        // Search syntax of any engine is just text here.
        assert_eq!(
            terms("\" * AND ( - NEAR("),
            ["\"", "*", "and", "(", "-", "near("]
        );
    }
}
