//! Twilio paths through the whole product, on a real server and database
//! (AF_TEST_BACKEND picks SQLite or PostgreSQL) with a fake Twilio that
//! checks every request as Twilio's API documents it: the PAUTA voice step
//! places a call, Twilio's signed call-status callbacks decide the branch
//! (no answer, busy or voicemail → the WhatsApp follow-up; answered → none),
//! forged callbacks answer 403 and change nothing; and the WhatsApp → SMS
//! fallback, with the cases where it must not happen.

use af_core::{ContactId, WorkflowId};
use af_db::automations::{self as store, Enrollment};
use af_engine::channels::ChannelsConfig;
use af_testkit::fakes::{FakeTwilio, TwilioKind, TwilioRequest, twilio_signature};
use af_testkit::{Tenant, TestApp, tenant};
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const SMS_FROM: &str = "+15550001111";
const WHATSAPP_FROM: &str = "+15550002222";
const CALLER_ID: &str = "+15550003333";
const BOOKING: &str = "https://cal.test/acme";

/// A server whose Twilio is `twilio` (with or without a WhatsApp sender),
/// one tenant, and a worker that already ran the tenant's own jobs.
struct Setup {
    app: TestApp,
    t: Tenant,
    w: af_jobs::Worker,
    twilio: FakeTwilio,
}

async fn setup(with_whatsapp: bool) -> Setup {
    let twilio = FakeTwilio::start().await;
    let mut vars: HashMap<&str, String> = twilio.env().into_iter().collect();
    vars.insert("TWILIO_SMS_SENDER", SMS_FROM.into());
    vars.insert("TWILIO_CALLER_ID", CALLER_ID.into());
    if with_whatsapp {
        vars.insert("TWILIO_WHATSAPP_SENDER", WHATSAPP_FROM.into());
    }
    let app = TestApp::spawn_with(|c| {
        c.booking_url = Some(BOOKING.into());
        c.channels = Arc::new(
            ChannelsConfig::from_lookup(&|k| vars.get(k).cloned()).expect("channels config"),
        );
    })
    .await;
    let t = tenant(&app, "acme").await;
    let w = app.engine_worker();
    // The tenant's fixtures raise events; route them before any workflow
    // exists so only the test's leads enrol.
    app.run_jobs(&w).await;
    Setup { app, t, w, twilio }
}

impl Setup {
    async fn workflow(&self, def: Value) -> WorkflowId {
        af_engine::ops::save_workflow(
            &self.app.db,
            self.t.ws.id,
            None,
            &def,
            None,
            self.app.state.config.channels.ssrf(),
            self.app.now(),
        )
        .await
        .expect("workflow saved")
        .id
    }

    async fn lead(&self, first: &str, phone: &str) -> ContactId {
        let input = af_db::contacts::ContactInput {
            first_name: first.into(),
            last_name: "Pérez".into(),
            email: Some(format!("{}@example.com", first.to_lowercase())),
            phone: Some(phone.into()),
            ..Default::default()
        };
        af_db::testing::insert_lead(&self.app.db, self.t.ws.id, &input, self.app.now()).await
    }

    async fn run(&self) {
        self.app.run_jobs(&self.w).await;
    }

    async fn enrollment(&self, wf: WorkflowId, c: ContactId) -> Enrollment {
        store::list_enrollments(&self.app.db, self.t.ws.id, wf, None, None, 100)
            .await
            .expect("enrolments")
            .into_iter()
            .map(|r| r.enrollment)
            .find(|e| e.contact_id == c)
            .expect("the lead is enrolled")
    }

    /// (step id, status, outcome) of every step run of the lead's enrolment.
    async fn runs(&self, wf: WorkflowId, c: ContactId) -> Vec<(String, String, Option<String>)> {
        let e = self.enrollment(wf, c).await;
        store::list_step_runs(&self.app.db, self.t.ws.id, e.id)
            .await
            .expect("step runs")
            .into_iter()
            .map(|r| (r.step_id, r.status, r.outcome))
            .collect()
    }

    /// The lead's messages, oldest first.
    async fn messages(&self, c: ContactId) -> Vec<af_db::messages::Message> {
        let mut all =
            af_db::messages::search_messages(&self.app.db, self.t.ws.id, Some(c), None, None, 100)
                .await
                .expect("messages");
        all.reverse();
        all
    }

    async fn contact(&self, c: ContactId) -> af_db::contacts::Contact {
        af_db::contacts::find_contact(&self.app.db, self.t.ws.id, c)
            .await
            .expect("find")
            .expect("contact")
    }

    /// The `call.completed` events of one call.
    async fn call_events(&self, sid_message: af_core::MessageId) -> Vec<Value> {
        af_db::events::list_events(&self.app.db, self.t.ws.id, 500)
            .await
            .expect("events")
            .into_iter()
            .filter(|e| e.kind == "call.completed")
            .map(|e| serde_json::from_str::<Value>(&e.data).expect("json"))
            .filter(|d| d["message_id"] == json!(sid_message))
            .collect()
    }

    /// Twilio's requests addressed to `to` (a phone, or `whatsapp:` + phone).
    fn to(&self, kind: TwilioKind, to: &str) -> Vec<TwilioRequest> {
        self.twilio
            .of(kind)
            .into_iter()
            .filter(|r| r.param("To") == Some(to))
            .collect()
    }

    fn voice_url(&self) -> String {
        self.app
            .url(&format!("/webhooks/twilio/{}/voice", self.t.ws.slug))
    }
}

/// The form of one call-status callback, as Twilio sends it.
fn call_status(
    twilio: &FakeTwilio,
    call: &TwilioRequest,
    status: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("AccountSid", twilio.account_sid.as_str()),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call.sid()),
        ("CallStatus", status),
        ("CallbackSource", "call-progress-events"),
        ("Called", call.param("To").unwrap_or_default()),
        ("Caller", call.param("From").unwrap_or_default()),
        ("Direction", "outbound-api"),
        ("From", call.param("From").unwrap_or_default()),
        ("To", call.param("To").unwrap_or_default()),
        ("Timestamp", "Sat, 07 Mar 2026 15:00:20 +0000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    p.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    p
}

fn pairs(p: &[(String, String)]) -> Vec<(&str, &str)> {
    p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The one call Twilio got for `phone`, checked as Twilio's `Calls.json`
/// documents it (the fake already refused anything malformed).
fn placed_call(s: &Setup, phone: &str) -> TwilioRequest {
    let calls = s.to(TwilioKind::Call, phone);
    assert_eq!(calls.len(), 1, "one call to {phone}");
    let call = calls[0].clone();
    assert_eq!(call.param("From"), Some(CALLER_ID));
    let twiml = call.param("Twiml").expect("inline TwiML");
    assert!(
        twiml.contains("<Say language=\"es-MX\">Hola "),
        "reads the step's text in the workspace's language: {twiml}"
    );
    assert!(twiml.contains("te llamamos de acme agency"), "{twiml}");
    assert_eq!(call.param("Url"), None, "TwiML inline, nothing to fetch");
    assert_eq!(call.param("MachineDetection"), Some("Enable"));
    assert_eq!(call.param("StatusCallback"), Some(s.voice_url().as_str()));
    assert_eq!(call.param("StatusCallbackMethod"), Some("POST"));
    assert_eq!(
        call.params("StatusCallbackEvent"),
        ["initiated", "ringing", "answered", "completed"]
    );
    call
}

/// One call outcome of the PAUTA flow.
struct Case {
    /// The voice step's outcome.
    outcome: &'static str,
    /// Twilio's final `CallStatus`, with the callback's other fields.
    call_status: &'static str,
    extra: &'static [(&'static str, &'static str)],
    /// Whether the WhatsApp follow-up goes out.
    follow_up: bool,
    /// The call message's status after the callback.
    message_status: &'static str,
}

#[tokio::test]
async fn each_call_outcome_takes_its_branch_of_the_pauta_flow() {
    let s = setup(true).await;
    let wf = s.workflow(af_engine::library::pauta_speed_to_lead()).await;
    let cases = [
        Case {
            outcome: "answered",
            call_status: "completed",
            extra: &[("AnsweredBy", "human"), ("CallDuration", "42")],
            follow_up: false,
            message_status: "delivered",
        },
        Case {
            outcome: "no_answer",
            call_status: "no-answer",
            extra: &[],
            follow_up: true,
            message_status: "failed",
        },
        Case {
            outcome: "busy",
            call_status: "busy",
            extra: &[],
            follow_up: true,
            message_status: "failed",
        },
        Case {
            outcome: "voicemail",
            call_status: "completed",
            extra: &[("AnsweredBy", "machine_start"), ("CallDuration", "9")],
            follow_up: true,
            message_status: "delivered",
        },
    ];
    for (i, case) in cases.into_iter().enumerate() {
        let Case {
            outcome,
            call_status: final_status,
            extra,
            follow_up,
            message_status: msg_status,
        } = case;
        let phone = format!("+52551234567{i}");
        let name = ["Ana", "Bea", "Cris", "Dani"][i];
        let c = s.lead(name, &phone).await;
        s.run().await;
        let call = placed_call(&s, &phone);
        let e = s.enrollment(wf, c).await;
        assert_eq!(
            (e.status.as_str(), e.current_step.as_deref()),
            ("waiting", Some("call")),
            "{outcome}: the step waits for the call's outcome"
        );
        let m = s
            .messages(c)
            .await
            .into_iter()
            .find(|m| m.channel == "voice")
            .expect("call message");
        assert_eq!(
            (m.status.as_str(), m.provider_id.as_deref()),
            ("sent", Some(call.sid()))
        );

        // Progress callbacks are answered and change nothing.
        for progress in ["initiated", "ringing"] {
            let p = call_status(&s.twilio, &call, progress, &[]);
            let r = s.twilio.callback(&s.voice_url(), &pairs(&p)).await;
            assert_eq!(r.status().as_u16(), 204, "{outcome}/{progress}");
        }
        s.run().await;
        assert_eq!(s.enrollment(wf, c).await.status, "waiting", "{outcome}");

        let p = call_status(&s.twilio, &call, final_status, extra);
        let r = s.twilio.callback(&s.voice_url(), &pairs(&p)).await;
        assert_eq!(r.status().as_u16(), 204, "{outcome}");
        // Twilio retrying the same callback changes nothing.
        s.twilio.callback(&s.voice_url(), &pairs(&p)).await;
        s.run().await;

        let runs = s.runs(wf, c).await;
        let of = |id: &str| {
            runs.iter()
                .filter(|r| r.0 == id && r.1 != "waiting")
                .map(|r| r.2.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            of("call"),
            [Some(outcome.to_string())],
            "{outcome}: {runs:?}"
        );
        let branch = if follow_up { "then" } else { "else" };
        assert_eq!(of("no_answer"), [Some(branch.to_string())], "{outcome}");
        let whatsapp = s.to(TwilioKind::WhatsApp, &format!("whatsapp:{phone}"));
        if follow_up {
            assert_eq!(whatsapp.len(), 1, "{outcome}: one WhatsApp follow-up");
            assert_eq!(
                whatsapp[0].param("From"),
                Some(format!("whatsapp:{WHATSAPP_FROM}").as_str())
            );
            assert_eq!(
                whatsapp[0].param("Body"),
                Some(
                    format!(
                        "Hola {name}, intentamos llamarte de acme agency. Agenda tu reunión cuando quieras: {BOOKING}"
                    )
                    .as_str()
                )
            );
            assert_eq!(
                whatsapp[0].param("StatusCallback"),
                Some(s.app.url("/webhooks/twilio/acme/status").as_str())
            );
        } else {
            assert!(whatsapp.is_empty(), "{outcome}: no follow-up");
        }
        let e = s.enrollment(wf, c).await;
        assert_eq!(
            (e.status.as_str(), e.current_step.as_deref()),
            ("active", Some("day_3_whatsapp")),
            "{outcome}: on to the day-3 wait"
        );
        let m = s
            .messages(c)
            .await
            .into_iter()
            .find(|m| m.channel == "voice")
            .expect("call message");
        assert_eq!(m.status, msg_status, "{outcome}");
        let ev = s.call_events(m.id).await;
        assert_eq!(ev.len(), 1, "{outcome}: one outcome per call");
        assert_eq!(ev[0]["outcome"], outcome);
    }
    assert!(s.twilio.rejected().is_empty(), "{:?}", s.twilio.rejected());
}

#[tokio::test]
async fn forged_call_callbacks_answer_403_and_the_call_keeps_waiting() {
    let s = setup(true).await;
    let wf = s.workflow(af_engine::library::pauta_speed_to_lead()).await;
    let phone = "+525512345678";
    let c = s.lead("Ana", phone).await;
    s.run().await;
    let call = placed_call(&s, phone);
    let url = s.voice_url();
    let p = call_status(&s.twilio, &call, "no-answer", &[]);
    let http = s.app.http();
    let post = |sig: Option<String>| {
        let mut r = http.post(&url).form(&pairs(&p));
        if let Some(sig) = sig {
            r = r.header("X-Twilio-Signature", sig);
        }
        r.send()
    };

    // Another account's token; the same form signed with another status;
    // signed for another workspace's URL; no signature at all.
    let wrong_token = twilio_signature("not-the-auth-token", &url, &pairs(&p));
    let completed = call_status(&s.twilio, &call, "completed", &[("AnsweredBy", "human")]);
    let other_values = s.twilio.signature(&url, &pairs(&completed));
    let other_url = s
        .twilio
        .signature(&s.app.url("/webhooks/twilio/other/voice"), &pairs(&p));
    for (why, sig) in [
        ("wrong token", Some(wrong_token)),
        ("signed other values", Some(other_values)),
        ("signed another URL", Some(other_url)),
        ("unsigned", None),
    ] {
        let r = post(sig).await.expect("post");
        assert_eq!(r.status().as_u16(), 403, "{why}");
    }
    s.run().await;
    let e = s.enrollment(wf, c).await;
    assert_eq!(
        (e.status.as_str(), e.current_step.as_deref()),
        ("waiting", Some("call")),
        "still waiting for the real outcome"
    );
    let m = s
        .messages(c)
        .await
        .into_iter()
        .find(|m| m.channel == "voice")
        .expect("call message");
    assert_eq!(m.status, "sent", "the message is untouched");
    assert!(s.call_events(m.id).await.is_empty());
    assert!(
        s.to(TwilioKind::WhatsApp, &format!("whatsapp:{phone}"))
            .is_empty()
    );

    // The genuine callback then goes through.
    let r = s.twilio.callback(&url, &pairs(&p)).await;
    assert_eq!(r.status().as_u16(), 204);
    s.run().await;
    assert_eq!(
        s.to(TwilioKind::WhatsApp, &format!("whatsapp:{phone}"))
            .len(),
        1
    );
}

#[tokio::test]
async fn a_call_nobody_reports_on_takes_the_no_answer_branch_at_its_timeout() {
    let s = setup(true).await;
    let wf = s.workflow(af_engine::library::pauta_speed_to_lead()).await;
    let phone = "+525512345678";
    let c = s.lead("Ana", phone).await;
    s.run().await;
    let call = placed_call(&s, phone);
    s.app.clock.advance(SignedDuration::from_mins(29));
    s.run().await;
    assert_eq!(s.enrollment(wf, c).await.status, "waiting");
    s.app.clock.advance(SignedDuration::from_mins(1));
    s.run().await;
    let whatsapp = format!("whatsapp:{phone}");
    assert_eq!(s.to(TwilioKind::WhatsApp, &whatsapp).len(), 1);
    let runs = s.runs(wf, c).await;
    assert!(
        runs.contains(&("call".into(), "done".into(), Some("no_answer".into()))),
        "{runs:?}"
    );

    // A late "completed" does not resume the step a second time.
    let p = call_status(&s.twilio, &call, "completed", &[("AnsweredBy", "human")]);
    let r = s.twilio.callback(&s.voice_url(), &pairs(&p)).await;
    assert_eq!(r.status().as_u16(), 204);
    s.run().await;
    let e = s.enrollment(wf, c).await;
    assert_eq!(e.current_step.as_deref(), Some("day_3_whatsapp"));
    let again = s.runs(wf, c).await;
    assert_eq!(
        again.iter().filter(|r| r.0 == "no_answer").count(),
        1,
        "{again:?}"
    );
    assert_eq!(s.to(TwilioKind::WhatsApp, &whatsapp).len(), 1);
}

#[tokio::test]
async fn a_call_twilio_refuses_counts_as_failed_and_takes_the_whatsapp_branch() {
    let s = setup(true).await;
    let wf = s.workflow(af_engine::library::pauta_speed_to_lead()).await;
    let phone = "+525512345678";
    s.twilio.fail_next(
        TwilioKind::Call,
        400,
        21215,
        "Account not authorized to call +525512345678",
    );
    let c = s.lead("Ana", phone).await;
    s.run().await;
    let m = s
        .messages(c)
        .await
        .into_iter()
        .find(|m| m.channel == "voice")
        .expect("call message");
    assert_eq!(m.status, "failed");
    assert!(
        m.error.as_deref().unwrap_or_default().starts_with("21215"),
        "{:?}",
        m.error
    );
    let runs = s.runs(wf, c).await;
    assert!(
        runs.contains(&("call".into(), "done".into(), Some("failed".into()))),
        "{runs:?}"
    );
    assert_eq!(
        s.to(TwilioKind::WhatsApp, &format!("whatsapp:{phone}"))
            .len(),
        1
    );
    assert!(s.twilio.rejected().is_empty(), "{:?}", s.twilio.rejected());
}

// ------------------------------------------------------- WhatsApp → SMS

fn whatsapp_step(fallback: Option<bool>) -> Value {
    let mut step = json!({"type": "send_whatsapp",
                          "body": "Hola {{ contact.first_name }}, agenda aquí: {{ booking_url }}"});
    if let Some(f) = fallback {
        step["fallback_sms"] = json!(f);
    }
    json!({"name": "WhatsApp", "trigger": {"type": "lead_created"}, "active": true, "steps": [step]})
}

/// (channel, status, error) of the lead's messages.
async fn outbox(s: &Setup, c: ContactId) -> Vec<(String, String, Option<String>)> {
    s.messages(c)
        .await
        .into_iter()
        .map(|m| (m.channel, m.status, m.error))
        .collect()
}

fn error_code(e: &Option<String>) -> &str {
    e.as_deref()
        .and_then(|e| e.split(':').next())
        .unwrap_or_default()
}

/// The SMS copy Twilio got: same text, our SMS sender, status callback.
fn assert_sms_copy(s: &Setup, phone: &str) {
    let sms = s.to(TwilioKind::Sms, phone);
    assert_eq!(sms.len(), 1, "one SMS copy to {phone}");
    assert_eq!(sms[0].param("From"), Some(SMS_FROM));
    assert_eq!(
        sms[0].param("Body"),
        Some(format!("Hola Ana, agenda aquí: {BOOKING}").as_str())
    );
    assert_eq!(
        sms[0].param("StatusCallback"),
        Some(s.app.url("/webhooks/twilio/acme/status").as_str())
    );
}

#[tokio::test]
async fn whatsapp_refused_for_good_is_sent_by_sms_instead() {
    let s = setup(true).await;
    s.workflow(whatsapp_step(None)).await; // fallback_sms defaults to true
    s.twilio.fail_next(
        TwilioKind::WhatsApp,
        400,
        63007,
        "Twilio could not find a Channel with the specified From address",
    );
    let phone = "+525512345678";
    let c = s.lead("Ana", phone).await;
    s.run().await;
    let out = outbox(&s, c).await;
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(
        (out[0].0.as_str(), out[0].1.as_str()),
        ("whatsapp", "failed")
    );
    assert_eq!(error_code(&out[0].2), "63007");
    assert_eq!((out[1].0.as_str(), out[1].1.as_str()), ("sms", "sent"));
    assert_eq!(
        s.to(TwilioKind::WhatsApp, &format!("whatsapp:{phone}"))
            .len(),
        1
    );
    assert_sms_copy(&s, phone);
    let sms = &s.messages(c).await[1];
    assert_eq!(
        sms.provider_id.as_deref(),
        Some(s.to(TwilioKind::Sms, phone)[0].sid())
    );
    assert!(s.twilio.rejected().is_empty(), "{:?}", s.twilio.rejected());
}

#[tokio::test]
async fn whatsapp_without_a_sender_configured_goes_by_sms_without_calling_twilio_for_it() {
    let s = setup(false).await;
    s.workflow(whatsapp_step(Some(true))).await;
    let phone = "+525512345678";
    let c = s.lead("Ana", phone).await;
    s.run().await;
    let out = outbox(&s, c).await;
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(
        (out[0].0.as_str(), out[0].1.as_str()),
        ("whatsapp", "failed")
    );
    assert_eq!(error_code(&out[0].2), "not_configured");
    assert_eq!((out[1].0.as_str(), out[1].1.as_str()), ("sms", "sent"));
    assert!(s.twilio.of(TwilioKind::WhatsApp).is_empty());
    assert_sms_copy(&s, phone);
    assert!(s.twilio.rejected().is_empty(), "{:?}", s.twilio.rejected());
}

#[tokio::test]
async fn no_sms_fallback_when_the_step_turns_it_off_the_contact_opted_out_or_the_error_is_transient()
 {
    let s = setup(true).await;
    s.workflow(whatsapp_step(Some(false))).await;
    s.twilio.fail_next(
        TwilioKind::WhatsApp,
        400,
        63007,
        "Twilio could not find a Channel with the specified From address",
    );
    let off = s.lead("Ana", "+525512345671").await;
    s.run().await;
    let out = outbox(&s, off).await;
    assert_eq!(out.len(), 1, "fallback off: {out:?}");
    assert_eq!(out[0].1, "failed");

    // With the fallback on: a recipient who opted out (21610) gets no SMS.
    let s = setup(true).await;
    s.workflow(whatsapp_step(Some(true))).await;
    s.twilio.fail_next(
        TwilioKind::WhatsApp,
        400,
        21610,
        "Attempt to send to unsubscribed recipient",
    );
    let stop = s.lead("Ana", "+525512345672").await;
    s.run().await;
    let out = outbox(&s, stop).await;
    assert_eq!(out.len(), 1, "opted out: {out:?}");
    assert_eq!(error_code(&out[0].2), "21610");
    assert!(s.contact(stop).await.sms_opted_out);

    // A 503 is retried as WhatsApp, never copied to SMS.
    s.twilio
        .fail_next(TwilioKind::WhatsApp, 503, 20503, "Service unavailable");
    let busy = s.lead("Bea", "+525512345673").await;
    s.run().await;
    let out = outbox(&s, busy).await;
    assert_eq!(
        out.iter()
            .map(|m| (m.0.as_str(), m.1.as_str()))
            .collect::<Vec<_>>(),
        [("whatsapp", "queued")]
    );
    s.app.clock.advance(SignedDuration::from_hours(1));
    s.run().await;
    let out = outbox(&s, busy).await;
    assert_eq!(
        out.iter()
            .map(|m| (m.0.as_str(), m.1.as_str()))
            .collect::<Vec<_>>(),
        [("whatsapp", "sent")]
    );
    assert!(s.twilio.of(TwilioKind::Sms).is_empty(), "no SMS at all");
    assert!(s.twilio.rejected().is_empty(), "{:?}", s.twilio.rejected());
}

/// Posts a message-status callback for `sid`.
async fn message_status(s: &Setup, sid: &str, status: &str, code: Option<&str>) -> u16 {
    let mut p = vec![
        ("AccountSid", s.twilio.account_sid.as_str()),
        ("ApiVersion", "2010-04-01"),
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("MessageStatus", status),
        ("SmsStatus", status),
        ("From", "whatsapp:+15550002222"),
        ("To", "whatsapp:+525512345678"),
        ("ChannelPrefix", "whatsapp"),
    ];
    if let Some(c) = code {
        p.push(("ErrorCode", c));
    }
    let url = s.app.url("/webhooks/twilio/acme/status");
    s.twilio.callback(&url, &p).await.status().as_u16()
}

#[tokio::test]
async fn whatsapp_that_twilio_later_reports_undelivered_is_sent_by_sms() {
    let s = setup(true).await;
    s.workflow(whatsapp_step(Some(true))).await;
    let phone = "+525512345678";
    let c = s.lead("Ana", phone).await;
    s.run().await;
    let wa = s.to(TwilioKind::WhatsApp, &format!("whatsapp:{phone}"));
    assert_eq!(wa.len(), 1);
    assert_eq!(outbox(&s, c).await[0].1, "sent", "accepted by Twilio");

    // 63016: outside the 24-hour session window; Twilio says so later.
    assert_eq!(message_status(&s, wa[0].sid(), "sent", None).await, 204);
    assert_eq!(
        message_status(&s, wa[0].sid(), "undelivered", Some("63016")).await,
        204
    );
    // Twilio may repeat a callback: still one copy.
    message_status(&s, wa[0].sid(), "undelivered", Some("63016")).await;
    s.run().await;
    let out = outbox(&s, c).await;
    assert_eq!(
        out.iter()
            .map(|m| (m.0.as_str(), m.1.as_str()))
            .collect::<Vec<_>>(),
        [("whatsapp", "undelivered"), ("sms", "sent")],
        "{out:?}"
    );
    assert_sms_copy(&s, phone);
    assert!(s.twilio.rejected().is_empty(), "{:?}", s.twilio.rejected());
}

#[tokio::test]
async fn whatsapp_reported_delivered_or_opted_out_gets_no_sms_copy() {
    let s = setup(true).await;
    s.workflow(whatsapp_step(Some(true))).await;
    let ok = s.lead("Ana", "+525512345671").await;
    let stop = s.lead("Bea", "+525512345672").await;
    s.run().await;
    let sid = |phone: &str| {
        s.to(TwilioKind::WhatsApp, &format!("whatsapp:{phone}"))[0]
            .sid()
            .to_string()
    };
    message_status(&s, &sid("+525512345671"), "delivered", None).await;
    message_status(&s, &sid("+525512345672"), "undelivered", Some("21610")).await;
    s.run().await;
    assert_eq!(outbox(&s, ok).await.len(), 1);
    assert_eq!(outbox(&s, stop).await.len(), 1);
    assert!(s.contact(stop).await.sms_opted_out, "21610 opts out");
    assert!(s.twilio.of(TwilioKind::Sms).is_empty());
}
