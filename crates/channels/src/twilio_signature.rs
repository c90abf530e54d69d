//! Validation of Twilio's `X-Twilio-Signature` on status callbacks and inbound
//! messages: base64 of HMAC-SHA1, keyed with the auth token, over the full
//! public URL followed by every POST parameter as `name` + `value`, sorted by
//! name then value. JSON webhooks sign the URL only and carry the body's
//! SHA-256 in the `bodySHA256` query parameter.
//!
//! Twilio may or may not include the default port (`:443` / `:80`) in the URL
//! it signed, so, like Twilio's own libraries, both forms are tried. A
//! non-default port is part of the URL and is never stripped.

use af_core::crypto::constant_time_eq;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

type HmacSha1 = Hmac<Sha1>;

/// The expected `X-Twilio-Signature` for `url` and form `params`.
pub fn signature<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(K, V)],
) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    pairs.sort_unstable();
    let mut mac = <HmacSha1 as KeyInit>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes any key size");
    mac.update(url.as_bytes());
    for (k, v) in pairs {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` is valid for a form-encoded request to `url` with
/// `params` (the decoded POST body). `url` is the public URL Twilio called,
/// query string included, exactly as configured.
pub fn validate<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(K, V)],
    signature_header: &str,
) -> bool {
    if auth_token.is_empty() || signature_header.is_empty() {
        return false;
    }
    let given = signature_header.trim().as_bytes();
    url_variants(url).iter().any(|candidate| {
        constant_time_eq(signature(auth_token, candidate, params).as_bytes(), given)
    })
}

/// Whether `signature` is valid for a JSON request: the URL's `bodySHA256`
/// query parameter must be the hex SHA-256 of `body`, and the signature covers
/// the URL alone.
pub fn validate_json_body(
    auth_token: &str,
    url: &str,
    body: &[u8],
    signature_header: &str,
) -> bool {
    let Some(expected_hash) = query_param(url, "bodySHA256") else {
        return false;
    };
    let actual = hex::encode(Sha256::digest(body));
    let body_ok = constant_time_eq(
        actual.as_bytes(),
        expected_hash.to_ascii_lowercase().as_bytes(),
    );
    let no_params: [(&str, &str); 0] = [];
    // Evaluate both so timing does not reveal which check failed.
    let sig_ok = validate(auth_token, url, &no_params, signature_header);
    body_ok & sig_ok
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The URL as given, plus the same URL with the scheme's default port added
/// (when it has no port) or removed (when it carries exactly the default
/// port). Works on the text so nothing else about the URL changes.
pub fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_owned()];
    let Some(scheme_end) = url.find("://") else {
        return out;
    };
    let scheme = url[..scheme_end].to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return out,
    };
    let auth_start = scheme_end + 3;
    let auth_end = url[auth_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| auth_start + i);
    let authority = &url[auth_start..auth_end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let hostport = &authority[host_start..];
    // IPv6 literals contain colons; the port comes after the closing bracket.
    let port_sep = match hostport.rfind(']') {
        Some(b) => hostport[b..].find(':').map(|i| b + i),
        None => hostport.rfind(':'),
    };
    let (before, after) = (&url[..auth_start + host_start], &url[auth_end..]);
    match port_sep {
        Some(i) => {
            if &hostport[i + 1..] == default_port {
                out.push(format!("{before}{}{after}", &hostport[..i]));
            }
        }
        None => out.push(format!("{before}{hostport}:{default_port}{after}")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_add_or_strip_only_default_ports() {
        assert_eq!(
            url_variants("https://a.test/x?y=1"),
            vec!["https://a.test/x?y=1", "https://a.test:443/x?y=1"]
        );
        assert_eq!(
            url_variants("http://u:p@a.test:80"),
            vec!["http://u:p@a.test:80", "http://u:p@a.test"]
        );
        assert_eq!(
            url_variants("https://a.test:8443/x"),
            vec!["https://a.test:8443/x"]
        );
        assert_eq!(
            url_variants("https://[::1]:443/x"),
            vec!["https://[::1]:443/x", "https://[::1]/x"]
        );
    }
}
