//! Account passwords: argon2id hashes made and checked on the blocking
//! pool (argon2 is deliberately slow; on the async runtime it would stall
//! every other request).

use af_core::crypto;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("argon2: {0}")]
    Hash(String),
    #[error("the hashing task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Hashes a password with argon2id.
pub async fn hash_password(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await?
}

/// Checks a password against a stored hash. With no hash (unknown email)
/// it still does the work, so response time does not reveal which emails
/// have accounts.
pub async fn verify_password(hash: Option<String>, password: String) -> bool {
    let hash = match hash {
        Some(h) => h,
        None => dummy_hash().await,
    };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

async fn dummy_hash() -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return h.clone();
    }
    let h = hash_password(crypto::random_token(16))
        .await
        .unwrap_or_default();
    DUMMY.get_or_init(|| h).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let h = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        assert!(verify_password(Some(h.clone()), "correct horse battery".into()).await);
        assert!(!verify_password(Some(h), "wrong".into()).await);
        assert!(!verify_password(None, "anything".into()).await);
        assert!(!verify_password(Some("not a hash".into()), "x".into()).await);
    }
}
