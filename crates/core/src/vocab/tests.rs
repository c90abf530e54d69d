use super::*;
use std::collections::BTreeSet;

/// Round-trips every value of one vocabulary through `as_str`, `parse`,
/// `FromStr`, `Display` and serde, and checks the names are unique.
macro_rules! check_vocabulary {
    ($t:ty) => {{
        assert_eq!(<$t>::ALL.len(), <$t>::NAMES.len());
        let unique: BTreeSet<&str> = <$t>::NAMES.iter().copied().collect();
        assert_eq!(unique.len(), <$t>::NAMES.len(), "a value is listed twice");
        for (v, name) in <$t>::ALL.iter().zip(<$t>::NAMES) {
            assert_eq!(v.as_str(), *name);
            assert_eq!(<$t>::parse(name), Some(*v));
            assert_eq!(name.parse::<$t>(), Ok(*v));
            assert_eq!(v.to_string(), *name);
            let json = serde_json::to_string(v).expect("serialize");
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<$t>(&json).expect("deserialize"), *v);
            // Rows hold `String`s: compare one with the value.
            let stored: String = (*name).to_owned();
            assert!(*name == *v && stored == *v && &stored == *v);
        }
        for bad in [
            "",
            "Queued",
            " sent",
            "sent ",
            "unknown",
            "contact.Created",
            "custom.x",
        ] {
            assert_eq!(<$t>::parse(bad), None, "{bad}");
            assert!(bad.parse::<$t>().is_err(), "{bad}");
            assert!(
                serde_json::from_str::<$t>(&format!("\"{bad}\"")).is_err(),
                "{bad}"
            );
        }
    }};
}

#[test]
fn every_vocabulary_round_trips_and_refuses_unknown_values() {
    check_vocabulary!(Channel);
    check_vocabulary!(MessageStatus);
    check_vocabulary!(EnrollmentStatus);
    check_vocabulary!(StepRunStatus);
    check_vocabulary!(EventKind);
    check_vocabulary!(MembershipStatus);
    check_vocabulary!(AlertType);
    check_vocabulary!(AlertStatus);
    check_vocabulary!(NotificationKind);
    check_vocabulary!(ConversationStatus);
}

#[test]
fn the_stored_values_are_the_ones_the_schema_allows() {
    // The CHECK constraints of migrations 0008 (enrolments, step runs).
    assert_eq!(
        EnrollmentStatus::NAMES,
        [
            "active",
            "waiting",
            "paused",
            "completed",
            "exited",
            "failed"
        ]
    );
    assert_eq!(
        StepRunStatus::NAMES,
        ["done", "skipped", "failed", "waiting", "exited"]
    );
    assert_eq!(
        Channel::NAMES,
        ["email", "sms", "whatsapp", "voice", "kommo", "webhook"]
    );
    // Migration 0023's memberships_status_check.
    assert_eq!(
        MembershipStatus::NAMES,
        ["trial", "active", "past_due", "cancelled", "expired"]
    );
}

#[test]
fn an_unknown_value_says_which_vocabulary_refused_it() {
    let err = "lost".parse::<MessageStatus>().expect_err("unknown");
    assert_eq!(err.to_string(), "unknown message status: \"lost\"");
}

#[test]
fn statuses_rank_forward_and_unknown_text_is_final() {
    let r = MessageStatus::rank_of;
    assert!(r("queued") < r("sent") && r("sent") < r("delivered"));
    assert_eq!(r("queued"), r("sending"));
    assert!(r("delivered") < r("opened") && r("clicked") < r("replied"));
    assert_eq!(r("skipped"), r("no such status"));
    assert!(EnrollmentStatus::Paused.is_live() && !EnrollmentStatus::Exited.is_live());
}
