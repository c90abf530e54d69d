//! Countries by ISO 3166-1 alpha-2 code with their Spanish and English
//! names, for the country selects (a workspace's country decides its
//! currency and how phone numbers without `+` are read, so it is picked from
//! a list, never typed).

mod data;

use crate::Locale;

/// The country's name in `locale`, if `code` is a known ISO alpha-2 code
/// (any case).
pub fn name(code: &str, locale: Locale) -> Option<&'static str> {
    let code = code.trim().to_ascii_uppercase();
    data::COUNTRIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, es, en)| match locale {
            Locale::Es => *es,
            Locale::En => *en,
        })
}

/// Every country a workspace may have (one with a telephone numbering
/// plan, as `validate::country` requires) as `(code, name)`, sorted by name
/// as a reader of `locale` expects (accents do not move a name: "Émiratos"
/// sorts with the E's).
pub fn all(locale: Locale) -> Vec<(&'static str, &'static str)> {
    let mut list: Vec<_> = data::COUNTRIES
        .iter()
        .filter(|(code, _, _)| crate::validate::country(code).is_ok())
        .map(|(code, es, en)| match locale {
            Locale::Es => (*code, *es),
            Locale::En => (*code, *en),
        })
        .collect();
    list.sort_by_cached_key(|(_, n)| sort_key(n));
    list
}

/// Lower case without the accents of Spanish and Portuguese names.
fn sort_key(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'á' | 'à' | 'â' | 'ä' | 'ã' | 'Å' | 'å' => {
                'a'
            }
            'É' | 'È' | 'Ê' | 'Ë' | 'é' | 'è' | 'ê' | 'ë' => 'e',
            'Í' | 'Ì' | 'Î' | 'Ï' | 'í' | 'ì' | 'î' | 'ï' => 'i',
            'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' | 'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'Ú' | 'Ù' | 'Û' | 'Ü' | 'ú' | 'ù' | 'û' | 'ü' => 'u',
            'Ç' | 'ç' => 'c',
            // Ñ sorts after N in Spanish; after "n" is close enough here.
            'Ñ' | 'ñ' => 'n',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_both_languages() {
        assert_eq!(name("MX", Locale::Es), Some("México"));
        assert_eq!(name("mx", Locale::En), Some("Mexico"));
        assert_eq!(name("PE", Locale::Es), Some("Perú"));
        assert_eq!(name("ZZ", Locale::Es), None);
    }

    #[test]
    fn the_list_is_complete_and_sorted_for_its_reader() {
        let es = all(Locale::Es);
        assert!(es.len() >= 230, "{}", es.len());
        let pos = |code: &str| es.iter().position(|(c, _)| *c == code).expect("listed");
        // "Perú" between "Paraguay" and "Polonia"; "España" between "Eslovenia" and "Estados Unidos".
        assert!(pos("PY") < pos("PE") && pos("PE") < pos("PL"));
        assert!(pos("SI") < pos("ES") && pos("ES") < pos("US"));
        // Every listed country is one a workspace may store.
        assert!(es.iter().all(|(c, _)| crate::validate::country(c).is_ok()));
        // The usual ones are all there.
        for code in ["MX", "CO", "CL", "PE", "AR", "US", "ES", "BR"] {
            assert!(all(Locale::En).iter().any(|(c, _)| *c == code), "{code}");
        }
    }
}
