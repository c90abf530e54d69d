//! The inbox's routes that take an id (a conversation is its contact's
//! id), filled with another tenant's ids, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, Via};

pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let c = other.contact_id;
    let m = other.message_id;
    let page = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    let api = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Api,
        method,
        path,
        form,
    };
    vec![
        page("GET", format!("/conversations/{c}"), vec![]),
        page("GET", format!("/conversations/{c}/thread"), vec![]),
        page(
            "POST",
            format!("/conversations/{c}/reply"),
            vec![("channel", "sms".into()), ("body", "hola".into())],
        ),
        page(
            "POST",
            format!("/conversations/{c}/assign"),
            vec![("assignee_id", String::new())],
        ),
        page(
            "POST",
            format!("/conversations/{c}/status"),
            vec![("status", "closed".into())],
        ),
        page(
            "POST",
            format!("/conversations/{c}/notes"),
            vec![("body", "nota".into())],
        ),
        page(
            "GET",
            format!("/conversations/{c}/messages/{m}/files/0"),
            vec![],
        ),
        api("GET", format!("/api/v1/conversations/{c}"), vec![]),
        api(
            "PATCH",
            format!("/api/v1/conversations/{c}"),
            vec![("status", "closed".into())],
        ),
        api("GET", format!("/api/v1/conversations/{c}/messages"), vec![]),
        api(
            "POST",
            format!("/api/v1/conversations/{c}/messages"),
            vec![("channel", "sms".into()), ("body", "hola".into())],
        ),
        api("POST", format!("/api/v1/conversations/{c}/read"), vec![]),
    ]
}
