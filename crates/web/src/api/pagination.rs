//! Keyset pagination of the JSON API: `limit` (1 to 500) and an opaque
//! `cursor` — the `(instant, id)` of the last row shown, base64url — that
//! a list answers as `next_cursor` while more rows follow.

use super::ApiError;
use af_db::Ts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// Largest page.
pub const MAX_LIMIT: i64 = 500;

/// The cursor of a row ordered by `(at, id)`.
pub fn encode_cursor(at: Ts, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}~{id}", at.0))
}

/// Reads a cursor back; a forged or mangled one is a 422 on `cursor`.
pub fn decode_cursor(raw: &str) -> Result<(Ts, Uuid), ApiError> {
    let bad = || {
        ApiError::field(
            "cursor",
            "invalid cursor: pass next_cursor from the previous page",
        )
    };
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?).map_err(|_| bad())?;
    let (ts, id) = text.split_once('~').ok_or_else(bad)?;
    Ok((
        Ts::new(ts.parse().map_err(|_| bad())?),
        Uuid::parse_str(id).map_err(|_| bad())?,
    ))
}

/// The page size asked for (`default` when absent), checked.
pub fn page_limit(limit: Option<i64>, default: i64) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field("limit", "limit must be between 1 and 500"));
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let at = Ts::new("2026-12-07T10:00:00Z".parse().expect("instant"));
        let id = Uuid::now_v7();
        let c = encode_cursor(at, id);
        let (a, i) = decode_cursor(&c).expect("decodes");
        assert_eq!((a, i), (at, id));
        for junk in ["", "!!", "bm90LWEtY3Vyc29y", &URL_SAFE_NO_PAD.encode("x~y")] {
            assert!(decode_cursor(junk).is_err(), "{junk}");
        }
        assert!(page_limit(None, 50).is_ok_and(|l| l == 50));
        assert!(page_limit(Some(0), 50).is_err());
        assert!(page_limit(Some(501), 50).is_err());
    }
}
