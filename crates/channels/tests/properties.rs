//! Property tests for the pure rules: signatures, tokens, sanitising, the
//! SSRF classifier and quiet hours.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use af_channels::quiet_hours::{Decision, SendWindow};
use af_channels::sanitize::header_text;
use af_channels::ssrf::{SsrfPolicy, check_ip};
use af_channels::twilio_signature::{signature, validate};
use af_channels::unsubscribe;
use af_channels::webhooks::{DEFAULT_TOLERANCE, WebhookSecret};
use af_core::crypto::SecretKey;
use af_core::{ContactId, WorkspaceId};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "America/Mexico_City",
    "America/Santiago",
    "America/New_York",
    "America/Bogota",
    "Europe/Madrid",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "UTC",
];

proptest! {
    #[test]
    fn header_text_never_contains_line_breaks(s in any::<String>()) {
        let out = header_text(&s);
        prop_assert!(!out.contains('\r') && !out.contains('\n'));
        prop_assert!(!out.chars().any(char::is_control));
    }

    #[test]
    fn twilio_signature_ignores_param_order_and_catches_changes(
        params in proptest::collection::vec(("[A-Za-z]{1,8}", "[ -~]{0,12}"), 0..8),
        seed in any::<u64>(),
        extra in "[a-z]{1,4}",
    ) {
        let url = "https://crm.test/hooks/twilio?ws=abc";
        let sig = signature("token", url, &params);
        let mut shuffled = params.clone();
        let n = shuffled.len();
        if n > 1 {
            let k = usize::try_from(seed % (n as u64)).unwrap_or(0);
            shuffled.rotate_left(k);
        }
        prop_assert!(validate("token", url, &shuffled, &sig));
        let mut changed = params.clone();
        changed.push(("Zz".to_owned(), extra));
        prop_assert!(!validate("token", url, &changed, &sig));
        prop_assert!(!validate("other", url, &params, &sig));
    }

    #[test]
    fn standard_webhooks_round_trip_and_detect_flips(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        ts in 0i64..4_000_000_000,
        flip in any::<usize>(),
    ) {
        let s = WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("secret");
        let sig = s.sign("msg_1", ts, &body);
        prop_assert!(s.verify("msg_1", &ts.to_string(), &sig, &body, ts, DEFAULT_TOLERANCE).is_ok());
        if !body.is_empty() {
            let mut tampered = body.clone();
            let i = flip % tampered.len();
            tampered[i] ^= 0x01;
            prop_assert!(s.verify("msg_1", &ts.to_string(), &sig, &tampered, ts, DEFAULT_TOLERANCE).is_err());
        }
    }

    #[test]
    fn unsubscribe_tokens_resist_any_single_change(pos in any::<usize>(), c in "[A-Za-z0-9_.-]") {
        let key = SecretKey::from_text(&"k".repeat(40)).expect("key");
        let (ws, contact) = (WorkspaceId::new(), ContactId::new());
        let t = unsubscribe::token(&key, ws, contact);
        prop_assert_eq!(unsubscribe::verify(&key, &t), Some((ws, contact)));
        let mut chars: Vec<char> = t.chars().collect();
        let i = pos % chars.len();
        let replacement = c.chars().next().unwrap_or('A');
        prop_assume!(chars[i] != replacement);
        chars[i] = replacement;
        let forged: String = chars.into_iter().collect();
        prop_assert_eq!(unsubscribe::verify(&key, &forged), None);
    }

    #[test]
    fn private_v4_and_their_v6_forms_are_refused(last in any::<u32>()) {
        let strict = SsrfPolicy::default();
        for (net, bits) in [([127u8, 0, 0, 0], 8u32), ([10, 0, 0, 0], 8), ([172, 16, 0, 0], 12), ([192, 168, 0, 0], 16), ([169, 254, 0, 0], 16), ([100, 64, 0, 0], 10), ([0, 0, 0, 0], 8)] {
            let host_bits = last & (u32::MAX >> bits);
            let ip = Ipv4Addr::from(u32::from(Ipv4Addr::from(net)) | host_bits);
            prop_assert!(check_ip("h", IpAddr::V4(ip), strict).is_err(), "{ip}");
            prop_assert!(check_ip("h", IpAddr::V6(ip.to_ipv6_mapped()), strict).is_err(), "mapped {ip}");
            let compat = Ipv6Addr::from(u128::from(u32::from(ip)));
            prop_assert!(check_ip("h", IpAddr::V6(compat), strict).is_err(), "compat {ip}");
        }
    }

    #[test]
    fn quiet_hours_decisions_are_consistent(secs in 1_700_000_000i64..1_900_000_000, zone in 0usize..ZONES.len()) {
        let tz = TimeZone::get(ZONES[zone]).expect("zone");
        let now = Timestamp::from_second(secs).expect("ts");
        let w = SendWindow::default();
        let local = now.to_zoned(tz.clone());
        match w.decide(now, &tz) {
            Decision::SendNow => prop_assert!(w.contains(local.time())),
            Decision::WaitUntil(at) => {
                prop_assert!(!w.contains(local.time()));
                prop_assert!(at > now);
                prop_assert!(at.duration_since(now).as_secs() <= 13 * 3600, "within the night");
                let opening = at.to_zoned(tz.clone());
                prop_assert!(w.contains(opening.time()), "{opening} opens the window");
                // One second earlier is still outside: it is the first instant.
                let before = (at - jiff::SignedDuration::from_secs(1)).to_zoned(tz.clone());
                prop_assert!(!w.contains(before.time()), "{before} was already inside");
            }
        }
    }
}
