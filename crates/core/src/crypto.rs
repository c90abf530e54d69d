//! The small amount of cryptography the product needs, in one place:
//! random tokens, hashes of bearer secrets, HMAC signatures and encryption of
//! secrets at rest. Everything derives from the server's one secret key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit as AeadKeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, KeyInit as MacKeyInit, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// `n` random bytes from the OS-seeded generator, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 hex of a high-entropy bearer secret (API key, invite or reset
/// token). Those secrets are random, so a fast hash is enough; passwords use
/// argon2 instead.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality of two byte strings.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// A freshly generated API key and what is stored of it.
pub struct NewApiKey {
    /// The whole key: shown once, never stored.
    pub key: String,
    /// The first characters, stored and shown so people can tell keys apart.
    pub prefix: String,
    /// SHA-256 of the key, stored and looked up.
    pub hash: String,
}

/// API keys look like `af_` + 43 base64url characters (256 random bits).
pub fn new_api_key() -> NewApiKey {
    let key = format!("af_{}", random_token(32));
    let prefix = key.chars().take(11).collect();
    let hash = sha256_hex(&key);
    NewApiKey { key, prefix, hash }
}

/// Errors from opening sealed data.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value does not open with this key (wrong AF_SECRET_KEY?)")]
    WrongKey,
}

/// The server's secret key. Its `Debug` never prints the key.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// Minimum length of the configured key text.
    pub const MIN_LEN: usize = 32;

    /// Builds the key from its configured text (at least 32 characters; any
    /// text, hashed to 32 bytes so hex, base64 or a passphrase all work).
    pub fn from_text(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.len() < Self::MIN_LEN {
            return Err(format!(
                "must be at least {} characters (e.g. 64 hex digits)",
                Self::MIN_LEN
            ));
        }
        Ok(Self(Sha256::digest(t.as_bytes()).into()))
    }

    /// A new random key as text (64 hex digits).
    pub fn generate_text() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    }

    /// A subkey for one purpose, so a signature made for one use can never be
    /// replayed for another.
    fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as MacKeyInit>::new_from_slice(&self.0).expect("HMAC takes any key size");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA256 of `message` under the `purpose` subkey, base64url.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        let key = self.derive(purpose);
        let mut mac =
            <HmacSha256 as MacKeyInit>::new_from_slice(&key).expect("HMAC takes any key size");
        mac.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Checks a signature made by [`SecretKey::sign`] in constant time.
    pub fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        let Ok(sig) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let key = self.derive(purpose);
        let mut mac =
            <HmacSha256 as MacKeyInit>::new_from_slice(&key).expect("HMAC takes any key size");
        mac.update(message.as_bytes());
        mac.verify_slice(&sig).is_ok()
    }

    /// Encrypts a secret for storage (XChaCha20-Poly1305, random nonce).
    pub fn seal(&self, plaintext: &str) -> String {
        let cipher = <XChaCha20Poly1305 as AeadKeyInit>::new(&self.derive("seal").into());
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        let ct = cipher
            .encrypt(&XNonce::from(nonce), plaintext.as_bytes())
            .expect("encryption of an in-memory buffer cannot fail");
        out.extend_from_slice(&ct);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Decrypts a value made by [`SecretKey::seal`].
    pub fn open(&self, sealed: &str) -> Result<String, CryptoError> {
        let raw = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| CryptoError::Malformed)?;
        if raw.len() < 24 + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ct) = raw.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
        let cipher = <XChaCha20Poly1305 as AeadKeyInit>::new(&self.derive("seal").into());
        let pt = cipher
            .decrypt(&XNonce::from(nonce), ct)
            .map_err(|_| CryptoError::WrongKey)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t: &str) -> SecretKey {
        SecretKey::from_text(t).expect("valid key")
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(SecretKey::from_text("too short").is_err());
        assert_eq!(SecretKey::generate_text().len(), 64);
    }

    #[test]
    fn signatures_are_bound_to_purpose_and_key() {
        let k = key(&"k".repeat(40));
        let sig = k.sign("reset", "user-1");
        assert!(k.verify("reset", "user-1", &sig));
        assert!(!k.verify("invite", "user-1", &sig));
        assert!(!k.verify("reset", "user-2", &sig));
        assert!(!key(&"j".repeat(40)).verify("reset", "user-1", &sig));
        assert!(!k.verify("reset", "user-1", "not base64 !"));
    }

    #[test]
    fn sealed_secrets_round_trip_and_resist_tampering() {
        let k = key(&"k".repeat(40));
        let sealed = k.seal("twilio-token");
        assert_ne!(sealed, k.seal("twilio-token"), "nonces differ");
        assert_eq!(k.open(&sealed).expect("opens"), "twilio-token");
        assert!(matches!(
            key(&"j".repeat(40)).open(&sealed),
            Err(CryptoError::WrongKey)
        ));
        assert!(k.open("short").is_err());
        assert!(!format!("{k:?}").contains('k'.to_string().repeat(5).as_str()));
    }

    #[test]
    fn api_keys_have_visible_prefix_and_stored_hash() {
        let a = new_api_key();
        assert!(a.key.starts_with("af_") && a.key.len() == 46);
        assert!(a.key.starts_with(&a.prefix) && a.prefix.len() == 11);
        assert_eq!(a.hash, sha256_hex(&a.key));
        assert_ne!(a.key, new_api_key().key);
    }
}
