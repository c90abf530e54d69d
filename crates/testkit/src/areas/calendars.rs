//! Test fixtures of the booking calendars area: what [`seed`] adds to every
//! tenant (a calendar hosted by the tenant's member), and the area's routes
//! that take an id, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// Adds `calendars.calendar_id` to `tenant.ids`.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let request: af_service::calendars::CalendarRequest =
        serde_json::from_value(serde_json::json!({
            "name": "Asesoría", "slug": "asesoria", "time_zone": "America/Mexico_City",
            "duration_minutes": 30,
            "availability": [{"weekday": 1, "start": "09:00", "end": "17:00"}]
        }))
        .expect("calendar request");
    let input = af_service::calendars::check(&request).expect("valid calendar");
    let mut tx = app.db.begin().await.expect("tx");
    let cal = af_db::calendars::insert_calendar(&mut tx, t.ws.id, &input, app.now())
        .await
        .expect("calendar");
    af_db::calendars::set_hosts(
        &mut tx,
        t.ws.id,
        cal.id,
        &[af_db::calendars::Host {
            user_id: t.member_id,
            priority: 0,
            weight: 1,
            adjustment: 0,
            weekly: None,
            daily_cap: None,
        }],
        app.now(),
    )
    .await
    .expect("hosts");
    tx.commit().await.expect("commit");
    t.ids.insert("calendars.calendar_id", cal.id.to_string());
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let c = other
        .ids
        .get("calendars.calendar_id")
        .cloned()
        .unwrap_or_default();
    let a = other
        .ids
        .get("forms.appointment_id")
        .cloned()
        .unwrap_or_default();
    let api = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Api,
        method,
        path,
        form,
    };
    let page = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    vec![
        page("GET", format!("/calendars/{c}"), vec![]),
        page(
            "POST",
            format!("/calendars/{c}"),
            vec![("name", "Hacked".into()), ("slug", "hacked".into())],
        ),
        page("POST", format!("/calendars/{c}/delete"), vec![]),
        page(
            "POST",
            format!("/calendars/appointments/{a}/status"),
            vec![("status", "completed".into())],
        ),
        api(
            "POST",
            format!("/api/v1/appointments/{a}/status"),
            vec![("status", "completed".into())],
        ),
        api("GET", format!("/api/v1/calendars/{c}"), vec![]),
        api(
            "PATCH",
            format!("/api/v1/calendars/{c}"),
            vec![("name", "Hacked".into())],
        ),
        api("DELETE", format!("/api/v1/calendars/{c}"), vec![]),
        api(
            "GET",
            format!("/api/v1/calendars/{c}/slots?from=2026-03-09&to=2026-03-09"),
            vec![],
        ),
        api(
            "POST",
            format!("/api/v1/calendars/{c}/bookings"),
            vec![
                ("start", "2026-03-09T09:00:00-06:00".into()),
                ("name", "Intruso".into()),
                ("email", "x@example.com".into()),
            ],
        ),
        api("POST", format!("/api/v1/appointments/{a}/cancel"), vec![]),
        api(
            "POST",
            format!("/api/v1/appointments/{a}/reschedule"),
            vec![("start", "2026-03-09T10:00:00-06:00".into())],
        ),
        api(
            "GET",
            format!("/api/v1/appointments/{a}/invite.ics"),
            vec![],
        ),
    ]
}
