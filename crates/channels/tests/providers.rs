//! `Providers`: provider choice from configuration and dispatch.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use af_channels::providers::{Providers, ProvidersOptions};
use af_channels::ssrf::SsrfPolicy;
use af_channels::{
    Category, DeliveryStatus, OutgoingMessage, ProviderConfig, VoiceSpec, WorkspaceCredentials,
};
use common::{Reply, install_crypto, start, start_smtp};

fn cfg(pairs: &[(&str, &str)]) -> ProviderConfig {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    ProviderConfig::from_map(&map).expect("config")
}

fn providers(c: &ProviderConfig) -> Providers {
    install_crypto();
    Providers::new(
        c,
        &ProvidersOptions {
            timeout: Duration::from_secs(5),
            ..ProvidersOptions::default()
        },
    )
    .expect("providers")
}

#[tokio::test]
async fn nothing_configured_means_outbox_for_every_channel() {
    let p = providers(&cfg(&[]));
    assert_eq!(p.email().name(), "outbox");
    assert_eq!(p.phone_provider(), "outbox");
    for m in [
        OutgoingMessage::email("ana@x.test", "Hola", "texto", "k1"),
        OutgoingMessage::sms("+525512345678", "hola", "k2"),
        OutgoingMessage::whatsapp("+525512345678", "hola", "k3"),
        OutgoingMessage::voice("+525512345678", VoiceSpec::default(), "k4"),
    ] {
        let out = p.send(&m).await.expect("recorded");
        assert_eq!(
            (out.provider, out.provider_id, out.status),
            ("outbox", None, DeliveryStatus::Sent)
        );
    }
}

#[tokio::test]
async fn email_provider_order_is_smtp_then_sendgrid_then_brevo() {
    let all = [
        ("SMTP_URL", "smtp://127.0.0.1:2525?tls=none"),
        ("SENDGRID_API_KEY", "SG.x"),
        ("SENDINBLUE_API_KEY", "xkeysib"),
    ];
    assert_eq!(providers(&cfg(&all)).email().name(), "smtp");
    assert_eq!(providers(&cfg(&all[1..])).email().name(), "sendgrid");
    assert_eq!(providers(&cfg(&all[2..])).email().name(), "brevo");
    let with_twilio = cfg(&[("TWILIO_ACCOUNT_SID", "AC1"), ("TWILIO_AUTH_TOKEN", "t")]);
    assert_eq!(providers(&with_twilio).phone_provider(), "twilio");
    assert!(providers(&with_twilio).kommo().is_none());
    let kommo = cfg(&[
        ("KOMMO_BASE_URL", "https://acme.kommo.com"),
        ("KOMMO_ACCESS_TOKEN", "t"),
        ("KOMMO_PIPELINE_ID", "1"),
        ("KOMMO_STATUS_ID_INICIAL", "2"),
    ]);
    assert!(providers(&kommo).kommo().is_some());
}

#[tokio::test]
async fn dispatches_email_to_sendgrid_at_the_configured_base() {
    let fake = start(|_| Reply::new(202, "").header("X-Message-Id", "m1")).await;
    let c = cfg(&[
        ("SENDGRID_API_KEY", "SG.server"),
        ("SENDGRID_API_BASE", &fake.base),
        ("AF_EMAIL_FROM", "Agencia <hola@agencia.test>"),
    ]);
    let mut m = OutgoingMessage::email("ana@x.test", "Hola", "texto", "k1");
    m.category = Category::Marketing;
    m.unsubscribe_url = Some("https://crm.test/u/t".into());
    let out = providers(&c).send(&m).await.expect("sent");
    assert_eq!(
        (out.provider, out.provider_id.as_deref()),
        ("sendgrid", Some("m1"))
    );
    let b = fake.only_request().json();
    assert_eq!(b["from"]["email"], "hola@agencia.test");
    assert_eq!(b["from"]["name"], "Agencia");

    // Marketing without an unsubscribe URL never reaches the vendor.
    m.unsubscribe_url = None;
    assert!(
        !providers(&c)
            .send(&m)
            .await
            .expect_err("refused")
            .is_retryable()
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn workspace_credentials_route_to_their_own_account() {
    let server = start(|_| Reply::new(202, "")).await;
    let (smtp_addr, cap) = start_smtp("250 OK\r\n").await;
    let c = cfg(&[
        ("SENDGRID_API_KEY", "SG.server"),
        ("SENDGRID_API_BASE", &server.base),
        ("AF_EMAIL_FROM", "hola@agencia.test"),
    ]);
    let ws: WorkspaceCredentials = serde_json::from_value(serde_json::json!({
        "smtp_url": format!("smtp://{smtp_addr}?tls=none"),
        "email_from": "hola@cliente.test",
    }))
    .expect("creds");
    let merged = c.with_workspace(&ws);

    // A workspace's relay may not point inside the network ...
    let strict = providers(&merged);
    assert_eq!(strict.email().name(), "smtp");
    let e = strict
        .send(&OutgoingMessage::email("ana@x.test", "Hola", "texto", "k0"))
        .await
        .expect_err("refused");
    assert!(
        !e.is_retryable() && e.to_string().contains("refused"),
        "{e}"
    );
    assert!(
        cap.lock().expect("lock").mail_from.is_empty(),
        "nothing reached the relay"
    );

    // ... unless the server allows private targets.
    let p = Providers::new(
        &merged,
        &ProvidersOptions {
            ssrf: SsrfPolicy {
                allow_private: true,
            },
            ..ProvidersOptions::default()
        },
    )
    .expect("providers");
    p.send(&OutgoingMessage::email("ana@x.test", "Hola", "texto", "k1"))
        .await
        .expect("sent");
    assert!(server.requests().is_empty(), "server account unused");
    assert!(cap.lock().expect("lock").mail_from[0].contains("hola@cliente.test"));
}

#[tokio::test]
async fn dispatches_sms_to_twilio() {
    let fake = start(|_| Reply::new(201, r#"{"sid":"SM1","status":"queued"}"#)).await;
    let c = cfg(&[
        ("TWILIO_ACCOUNT_SID", "AC1"),
        ("TWILIO_AUTH_TOKEN", "t"),
        ("TWILIO_SMS_SENDER", "+15550001111"),
        ("TWILIO_API_BASE", &fake.base),
    ]);
    let out = providers(&c)
        .send(&OutgoingMessage::sms("+525512345678", "hola", "k"))
        .await
        .expect("sent");
    assert_eq!(
        (out.provider, out.provider_id.as_deref()),
        ("twilio", Some("SM1"))
    );
    assert_eq!(
        fake.only_request().path,
        "/2010-04-01/Accounts/AC1/Messages.json"
    );
}

#[tokio::test]
async fn the_operators_own_smtp_relay_may_be_local() {
    // SMTP_URL from the server environment is trusted: a relay on
    // localhost is normal for self-hosting.
    let (addr, cap) = start_smtp("250 OK\r\n").await;
    let c = cfg(&[
        ("SMTP_URL", &format!("smtp://{addr}?tls=none")),
        ("AF_EMAIL_FROM", "hola@agencia.test"),
    ]);
    providers(&c)
        .send(&OutgoingMessage::email("ana@x.test", "Hola", "texto", "k1"))
        .await
        .expect("sent");
    assert_eq!(cap.lock().expect("lock").data.len(), 1);
}
