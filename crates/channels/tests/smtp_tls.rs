//! SMTP credentials never cross the network in clear: a fake relay with a
//! certificate from a CA made at test time records every command and
//! whether it arrived inside TLS.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use af_channels::config::{RootCertificates, Secret};
use af_channels::email::{PreparedEmail, Sender};
use af_channels::providers::{Providers, ProvidersOptions};
use af_channels::smtp::{Smtp, SmtpTls};
use af_channels::{OutgoingMessage, ProviderConfig, SendError};
use common::{SmtpConversation, SmtpSecurity, TestCa, TlsSmtp, install_crypto, start_tls_smtp};

const TIMEOUT: Duration = Duration::from_secs(5);

fn email() -> PreparedEmail {
    let m = OutgoingMessage::email("ana@cliente.test", "Hola", "Texto", "k-tls");
    let from = Sender {
        email: "hola@acme.test".into(),
        name: Some("Acme".into()),
    };
    PreparedEmail::new(&m, Some(&from)).expect("valid email")
}

fn smtp(url: &str, roots: Option<&RootCertificates>) -> Smtp {
    install_crypto();
    Smtp::from_url(&Secret::new(url), TIMEOUT, roots).expect("transport")
}

/// STARTTLS came first, in plain text, and everything after it (AUTH,
/// the envelope, the message) inside TLS.
fn assert_upgraded_before_auth(c: &SmtpConversation) {
    let starttls = c.position("STARTTLS").expect("STARTTLS sent");
    assert!(!c.lines[starttls].tls, "{c:#?}");
    let auth = c.position("AUTH").expect("AUTH sent");
    assert!(starttls < auth, "STARTTLS before AUTH: {c:#?}");
    for l in &c.lines[starttls + 1..] {
        assert!(l.tls, "after STARTTLS, in clear: {l:?}");
    }
    assert!(
        c.lines
            .iter()
            .filter(|l| !l.tls)
            .all(|l| !l.line.to_ascii_uppercase().starts_with("AUTH")
                && !l.line.to_ascii_uppercase().starts_with("MAIL")),
        "AUTH or MAIL in clear: {c:#?}"
    );
}

/// Nothing after the greeting exchange: no AUTH, no envelope.
async fn assert_no_auth_sent(fake: &TlsSmtp) -> SmtpConversation {
    fake.wait_closed(1).await;
    let c = fake.conversation();
    assert!(c.with_verb("AUTH").is_empty(), "AUTH sent: {c:#?}");
    assert!(c.auth.is_empty(), "{c:#?}");
    assert!(c.with_verb("MAIL").is_empty(), "{c:#?}");
    assert!(c.data.is_empty(), "{c:#?}");
    c
}

#[tokio::test]
async fn credentials_go_only_after_starttls() {
    let ca = TestCa::new();
    let roots = ca.roots();
    for (i, query) in ["", "?tls=required", "?tls=opportunistic"]
        .into_iter()
        .enumerate()
    {
        let fake = start_tls_smtp(SmtpSecurity::StartTls, &ca).await;
        let t = smtp(
            &format!("smtp://agencia:p%40ss%3Aw0rd@{}{query}", fake.addr),
            Some(&roots),
        );
        assert_eq!(t.tls(), SmtpTls::StartTlsRequired, "{query}");
        let out = t.send(&email()).await.expect("delivered");
        assert_eq!(out.provider, "smtp");
        let c = fake.conversation();
        assert_upgraded_before_auth(&c);
        assert_eq!(c.auth, ["\0agencia\0p@ss:w0rd"], "percent-decoded, once");
        assert_eq!(c.data.len(), 1, "case {i}: {c:#?}");
        assert!(c.data[0].contains("Subject: Hola"), "{}", c.data[0]);
    }
}

#[tokio::test]
async fn credentials_are_never_sent_to_a_relay_without_starttls() {
    let ca = TestCa::new();
    let roots = ca.roots();
    for query in ["", "?tls=required", "?tls=opportunistic"] {
        let fake = start_tls_smtp(SmtpSecurity::Plain, &ca).await;
        let t = smtp(
            &format!("smtp://agencia:secreto@{}{query}", fake.addr),
            Some(&roots),
        );
        let e = t.send(&email()).await.expect_err("refused");
        match &e {
            SendError::Permanent { message, code, .. } => {
                assert_eq!(code.as_deref(), Some("smtp_tls_required"), "{message}");
                assert!(message.contains("STARTTLS"), "{message}");
                assert!(!message.contains("secreto"), "{message}");
            }
            other => panic!("{query}: expected a permanent error, got {other:?}"),
        }
        let c = assert_no_auth_sent(&fake).await;
        assert!(c.position("EHLO").is_some(), "{c:#?}");
    }
}

#[tokio::test]
async fn smtps_is_implicit_tls() {
    let ca = TestCa::new();
    let fake = start_tls_smtp(SmtpSecurity::Implicit, &ca).await;
    let t = smtp(
        &format!("smtps://agencia:secreto@{}", fake.addr),
        Some(&ca.roots()),
    );
    assert_eq!(t.tls(), SmtpTls::Implicit);
    t.send(&email()).await.expect("delivered");
    let c = fake.conversation();
    assert!(c.lines.iter().all(|l| l.tls), "{c:#?}");
    assert!(c.position("STARTTLS").is_none(), "{c:#?}");
    assert_eq!(c.auth, ["\0agencia\0secreto"]);
    assert_eq!(c.data.len(), 1);
}

#[tokio::test]
async fn tls_none_sends_plain_to_a_local_relay() {
    let ca = TestCa::new();
    // A plain relay.
    let fake = start_tls_smtp(SmtpSecurity::Plain, &ca).await;
    let t = smtp(&format!("smtp://{}?tls=none", fake.addr), None);
    assert_eq!(t.tls(), SmtpTls::None);
    t.send(&email()).await.expect("delivered");
    let c = fake.conversation();
    assert!(c.lines.iter().all(|l| !l.tls), "{c:#?}");
    assert!(c.auth.is_empty() && c.with_verb("AUTH").is_empty());
    assert_eq!(c.data.len(), 1);

    // Plain was asked for: no STARTTLS even when offered (so no
    // certificate to trust either).
    let fake = start_tls_smtp(SmtpSecurity::StartTls, &ca).await;
    smtp(&format!("smtp://{}?tls=none", fake.addr), None)
        .send(&email())
        .await
        .expect("delivered");
    let c = fake.conversation();
    assert!(c.position("STARTTLS").is_none(), "{c:#?}");
    assert_eq!(c.data.len(), 1);
}

#[tokio::test]
async fn without_credentials_starttls_is_used_when_offered() {
    let ca = TestCa::new();
    let fake = start_tls_smtp(SmtpSecurity::StartTls, &ca).await;
    let t = smtp(&format!("smtp://{}", fake.addr), Some(&ca.roots()));
    assert_eq!(t.tls(), SmtpTls::StartTlsOpportunistic);
    t.send(&email()).await.expect("delivered");
    let c = fake.conversation();
    let starttls = c.position("STARTTLS").expect("upgraded");
    let mail = c.position("MAIL").expect("envelope");
    assert!(starttls < mail && c.lines[mail].tls, "{c:#?}");
    assert_eq!(c.data.len(), 1);

    // A relay without STARTTLS still gets unauthenticated mail.
    let fake = start_tls_smtp(SmtpSecurity::Plain, &ca).await;
    smtp(&format!("smtp://{}", fake.addr), None)
        .send(&email())
        .await
        .expect("delivered");
    assert_eq!(fake.conversation().data.len(), 1);
}

#[test]
fn tls_none_with_credentials_is_a_config_error() {
    for url in [
        "smtp://agencia:secreto@relay.test:25?tls=none",
        "smtp://ag%40encia:secreto@[::1]?tls=none",
    ] {
        let e = Smtp::from_url(&Secret::new(url), TIMEOUT, None).expect_err(url);
        assert_eq!(e.var, "SMTP_URL");
        assert!(e.reason.contains("tls=none"), "{e}");
        assert!(!e.to_string().contains("secreto"), "{e}");
        let map: HashMap<String, String> = [("SMTP_URL".to_owned(), url.to_owned())].into();
        let e = ProviderConfig::from_map(&map).expect_err("refused at start");
        assert_eq!(e.var, "SMTP_URL");
        assert!(!e.to_string().contains("secreto"), "{e}");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_fails_before_auth() {
    let ca = TestCa::new();
    // STARTTLS with credentials, no SMTP_CA_FILE.
    let fake = start_tls_smtp(SmtpSecurity::StartTls, &ca).await;
    let e = smtp(&format!("smtp://agencia:secreto@{}", fake.addr), None)
        .send(&email())
        .await
        .expect_err("untrusted");
    assert!(!e.to_string().contains("secreto"), "{e}");
    let c = assert_no_auth_sent(&fake).await;
    assert!(c.position("STARTTLS").is_some(), "{c:#?}");

    // Implicit TLS.
    let fake = start_tls_smtp(SmtpSecurity::Implicit, &ca).await;
    smtp(&format!("smtps://agencia:secreto@{}", fake.addr), None)
        .send(&email())
        .await
        .expect_err("untrusted");
    let c = assert_no_auth_sent(&fake).await;
    assert!(c.lines.is_empty(), "{c:#?}");

    // Opportunistic STARTTLS does not fall back to plain on a bad
    // certificate.
    let fake = start_tls_smtp(SmtpSecurity::StartTls, &ca).await;
    smtp(&format!("smtp://{}", fake.addr), None)
        .send(&email())
        .await
        .expect_err("untrusted");
    assert_no_auth_sent(&fake).await;

    // Another CA's certificate is no better.
    let other = TestCa::new();
    let fake = start_tls_smtp(SmtpSecurity::StartTls, &ca).await;
    smtp(
        &format!("smtp://agencia:secreto@{}", fake.addr),
        Some(&other.roots()),
    )
    .send(&email())
    .await
    .expect_err("untrusted");
    assert_no_auth_sent(&fake).await;
}

#[tokio::test]
async fn smtp_ca_file_is_read_from_the_server_settings() {
    install_crypto();
    let ca = TestCa::new();
    let fake = start_tls_smtp(SmtpSecurity::StartTls, &ca).await;
    let file = ca.ca_file();
    let vars: HashMap<String, String> = [
        (
            "SMTP_URL",
            format!("smtp://agencia:secreto@{}?tls=required", fake.addr),
        ),
        ("SMTP_CA_FILE", file.path().display().to_string()),
        ("AF_EMAIL_FROM", "Agencia Acme <hola@acme.test>".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let cfg = ProviderConfig::from_map(&vars).expect("config");
    assert_eq!(
        cfg.smtp_ca_file.as_ref().map(|r| r.der().len()),
        Some(1),
        "{cfg:?}"
    );
    let p = Providers::new(
        &cfg,
        &ProvidersOptions {
            timeout: TIMEOUT,
            ..ProvidersOptions::default()
        },
    )
    .expect("providers");
    p.send(&OutgoingMessage::email("ana@x.test", "Hola", "texto", "k1"))
        .await
        .expect("sent");
    let c = fake.conversation();
    assert_upgraded_before_auth(&c);
    assert_eq!(c.data.len(), 1);

    // A workspace cannot bring its own CA: the field is the server's.
    let ws: af_channels::WorkspaceCredentials =
        serde_json::from_value(serde_json::json!({ "smtp_ca_file": "/tmp/evil.pem" }))
            .expect("unknown fields are ignored");
    assert_eq!(cfg.with_workspace(&ws).smtp_ca_file, cfg.smtp_ca_file);

    // A missing or empty file is refused when the configuration is read.
    for path in ["/nonexistent/ca.pem", "/dev/null"] {
        let mut bad = vars.clone();
        bad.insert("SMTP_CA_FILE".into(), path.into());
        let e = ProviderConfig::from_map(&bad).expect_err(path);
        assert_eq!(e.var, "SMTP_CA_FILE", "{e}");
    }
}
