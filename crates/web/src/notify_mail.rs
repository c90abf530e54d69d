//! Notification email and the daily digest (issue 18): the handlers of
//! `notification_email`, `queue_digests` and `send_digest`, here because
//! their text is the web crate's i18n (in the member's language).
//!
//! They go through the server's own email provider (`SMTP_URL`,
//! `SENDGRID_API_KEY`, `BREVO_API_KEY`), like password resets, and not
//! through the workspace's channels: they are the product writing to its
//! user, not the workspace writing to its contacts — so they must not sit
//! in the workspace's outbox (messages list, reports, its sending quota and
//! suppression lists) nor depend on the workspace having set email up.
//! Without a server provider the jobs do nothing (logged once per job).

use crate::i18n::notifications::{NotificationsTr, text};
use af_channels::{Category, OutgoingMessage, Providers};
use af_core::jobs::{NotificationEmail, QueueDigests, SendDigest};
use af_core::{Locale, WorkspaceId};
use af_db::notifications::digest::{self, DigestSection, DigestSectionKind};
use af_db::{Db, DbError};
use af_engine::EngineConfig;
use af_engine::system_mail::server_can_send_email;
use af_jobs::{JobError, JobsError, Registry, typed_handler};
use std::sync::Arc;

/// Registers the three handlers.
pub fn register(r: &mut Registry, cfg: EngineConfig) -> Result<(), JobsError> {
    let cfg = Arc::new(cfg);
    let c = cfg.clone();
    r.register(typed_handler(move |ctx, job, p: NotificationEmail| {
        let c = c.clone();
        async move {
            let ws = job_workspace(&job)?;
            send_notification(&ctx.db, &c, ws, &p, &ctx.idempotency_key()).await
        }
    }))?;
    r.register(typed_handler(|ctx, _job, _: QueueDigests| async move {
        digest::queue_due(&ctx.db, ctx.now())
            .await
            .map(|_| ())
            .map_err(JobError::retry)
    }))?;
    let c = cfg;
    r.register(typed_handler(move |ctx, job, p: SendDigest| {
        let c = c.clone();
        async move {
            let ws = job_workspace(&job)?;
            send_digest(&ctx.db, &c, ws, &p, &ctx.idempotency_key()).await
        }
    }))?;
    Ok(())
}

/// The digest check's schedule: hourly, so each workspace's 7:00 comes
/// within the hour whatever its zone ([`digest::queue_due`] is idempotent
/// per member and local date).
pub fn digest_schedule() -> Result<af_jobs::NewSchedule, DbError> {
    af_jobs::NewSchedule::system("25 * * * *", &QueueDigests {})
}

fn job_workspace(job: &af_jobs::Job) -> Result<WorkspaceId, JobError> {
    job.workspace_id
        .map(WorkspaceId)
        .ok_or_else(|| JobError::Permanent("job without workspace".into()))
}

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Who reads it and how: the member's address and language, the
/// workspace's name and zone. `None` when either is gone.
async fn reader(
    db: &Db,
    ws: WorkspaceId,
    user: af_core::UserId,
) -> Result<Option<(String, Locale, af_db::workspaces::Workspace)>, DbError> {
    let Some(u) = af_db::users::find_user(db, user).await? else {
        return Ok(None);
    };
    let Some(w) = af_db::workspaces::find_workspace(db, ws).await? else {
        return Ok(None);
    };
    let locale = u.locale().unwrap_or_else(|| w.locale());
    Ok(Some((u.email, locale, w)))
}

/// The email of one notification, in the member's language.
pub async fn notification_mail(
    db: &Db,
    base_url: &str,
    ws: WorkspaceId,
    p: &NotificationEmail,
) -> Result<Option<Mail>, DbError> {
    let Some((to, locale, w)) = reader(db, ws, p.user_id).await? else {
        return Ok(None);
    };
    let nt = NotificationsTr::get(locale);
    let line = text(p.kind.as_str(), &p.params, locale, &w.time_zone);
    let body = format!(
        "{line}\n\n{base_url}{}\n\n--\n{}\n{base_url}/notifications/preferences\n",
        p.link, nt.email_footer
    );
    Ok(Some(Mail {
        to,
        subject: format!(
            "{} · {}",
            line.chars().take(120).collect::<String>(),
            w.name
        ),
        body,
    }))
}

/// The digest email of one member for one local date; `None` when there is
/// nothing to tell (no section has a line), the member opted out since, or
/// left the workspace.
pub async fn digest_mail(
    db: &Db,
    base_url: &str,
    ws: WorkspaceId,
    p: &SendDigest,
) -> Result<Option<Mail>, DbError> {
    if !af_db::notifications::daily_digest(db, ws, p.user_id).await? {
        return Ok(None);
    }
    if af_db::workspaces::find_membership_role(db, ws, p.user_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let Some((to, locale, w)) = reader(db, ws, p.user_id).await? else {
        return Ok(None);
    };
    let Ok(date) = p.local_date.parse::<jiff::civil::Date>() else {
        return Ok(None);
    };
    let tz = af_core::datetime::zone(&w.time_zone);
    let sections = digest::sections(db, ws, p.user_id, date, &tz).await?;
    if sections.iter().all(|s| s.items.is_empty()) {
        return Ok(None);
    }
    let nt = NotificationsTr::get(locale);
    let body = digest_body(nt, base_url, &w, locale, &sections);
    Ok(Some(Mail {
        to,
        subject: nt.digest_subject.replace("{workspace}", &w.name),
        body,
    }))
}

fn digest_body(
    nt: &NotificationsTr,
    base_url: &str,
    w: &af_db::workspaces::Workspace,
    locale: Locale,
    sections: &[DigestSection],
) -> String {
    let mut out = nt.digest_intro.replace("{workspace}", &w.name);
    out.push('\n');
    for s in sections.iter().filter(|s| !s.items.is_empty()) {
        out.push_str(&format!("\n{}\n", nt.section(s.kind)));
        for item in &s.items {
            out.push_str("- ");
            out.push_str(match s.kind {
                // The alert's type, labelled in the member's language.
                DigestSectionKind::RetentionAlerts => {
                    crate::i18n::vocab::VocabTr::get(locale).alert_type_text(&item.title)
                }
                _ => &item.title,
            });
            if let Some(who) = &item.subject {
                out.push_str(" · ");
                out.push_str(who);
            }
            if let Some(at) = item.at {
                out.push_str(" · ");
                out.push_str(&crate::pages::fmt_when(at, &w.time_zone, locale));
            }
            out.push_str(&format!("\n  {base_url}{}\n", item.link));
        }
    }
    out.push_str(&format!(
        "\n--\n{}\n{base_url}/notifications/preferences\n",
        nt.email_footer
    ));
    out
}

async fn send_notification(
    db: &Db,
    cfg: &EngineConfig,
    ws: WorkspaceId,
    p: &NotificationEmail,
    key: &str,
) -> Result<(), JobError> {
    let mail = notification_mail(db, &cfg.base_url, ws, p)
        .await
        .map_err(JobError::retry)?;
    deliver(cfg, mail, key).await
}

async fn send_digest(
    db: &Db,
    cfg: &EngineConfig,
    ws: WorkspaceId,
    p: &SendDigest,
    key: &str,
) -> Result<(), JobError> {
    let mail = digest_mail(db, &cfg.base_url, ws, p)
        .await
        .map_err(JobError::retry)?;
    deliver(cfg, mail, key).await
}

/// Sends through the server's provider; nothing to send or no provider is
/// a success (the job is done, there is nothing to retry).
async fn deliver(cfg: &EngineConfig, mail: Option<Mail>, key: &str) -> Result<(), JobError> {
    let Some(mail) = mail else {
        return Ok(());
    };
    if !server_can_send_email(&cfg.channels) {
        tracing::info!(
            "no server email provider: a notification email was not sent (set SMTP_URL, SENDGRID_API_KEY or BREVO_API_KEY)"
        );
        return Ok(());
    }
    let providers = Providers::new(&cfg.channels.providers, &cfg.channels.options)
        .map_err(JobError::permanent)?;
    let mut msg = OutgoingMessage::email(&mail.to, &mail.subject, &mail.body, key);
    msg.category = Category::System;
    match providers.send(&msg).await {
        Ok(_) => Ok(()),
        Err(af_channels::SendError::Retryable { message, .. }) => Err(JobError::retry(message)),
        Err(e) => Err(JobError::permanent(e)),
    }
}
