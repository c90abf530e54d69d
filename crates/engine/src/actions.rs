//! What each step type does, inside the step's transaction. Messages are
//! rendered here and inserted `queued` with an idempotency key per step run
//! (`{enrolment}:{seq}`), and a send job delivers them after the commit.

use crate::EngineConfig;
use crate::enrolment::WaitMatch;
use af_core::templating::{render_html, render_text};
use af_core::vocab::{Channel, EventKind, MessageStatus};
use af_core::workflow::{Action, BusinessHours, Definition, Facts, Step, WaitZone};
use af_core::{Actor, ContactId, MessageId, StageId, TemplateId, UserId, WorkflowId};
use af_db::automations::{self as store, Enrollment};
use af_db::contacts::{Contact, ContactPatch};
use af_db::workspaces::Workspace;
use af_db::{DbError, Ts, Tx};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use std::collections::HashSet;

/// How a step ended.
pub(crate) enum Outcome {
    /// Go on with the next step.
    Next {
        outcome: Option<String>,
        detail: Option<String>,
    },
    /// Nothing to do for this contact (reason logged); go on.
    Skipped { reason: String },
    /// Continue at `entry` (a branch's first step, or what follows).
    Branch {
        entry: Option<String>,
        outcome: String,
    },
    /// Continue with the next step at `until`.
    Wait { until: Ts, detail: String },
    /// Wait for an event (or a call's outcome) until `until`.
    WaitEvent {
        kind: String,
        wait: WaitMatch,
        until: Ts,
        detail: String,
    },
}

pub(crate) enum StepError {
    /// Transient (database): retried with backoff.
    Retry(String),
    /// The step cannot succeed as configured (a deleted stage...).
    Fatal(String),
}

impl From<DbError> for StepError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(what) => StepError::Fatal(format!("{what} not found")),
            other => StepError::Retry(other.to_string()),
        }
    }
}

impl From<crate::EngineError> for StepError {
    fn from(e: crate::EngineError) -> Self {
        match e {
            crate::EngineError::Db(d) => d.into(),
            other => StepError::Fatal(other.to_string()),
        }
    }
}

type StepResult = Result<Outcome, StepError>;

fn system() -> Actor {
    Actor {
        kind: af_core::ActorKind::System,
        id: None,
        label: "automation".into(),
    }
}

/// Runs one step for `contact` (read by the runner in the step's
/// transaction).
#[expect(clippy::too_many_arguments, reason = "the step's whole context")]
pub(crate) async fn execute(
    tx: &mut Tx,
    cfg: &EngineConfig,
    ws: &Workspace,
    def: &Definition,
    e: &Enrollment,
    contact: &Contact,
    step: &Step,
    now: Ts,
) -> StepResult {
    let wsid = e.workspace_id;
    let ctx: serde_json::Value = serde_json::from_str(&e.context).unwrap_or_default();
    let event = ctx.get("event").cloned().unwrap_or_default();
    let actor = system();
    let fast_forward =
        e.test_mode && ctx.get("fast_forward") == Some(&serde_json::Value::Bool(true));
    match &step.action {
        Action::SendEmail {
            subject,
            body,
            html,
            template_id,
            transactional,
        } => {
            let Some(to) = contact.email.clone() else {
                return skip("the contact has no email");
            };
            if contact.email_unsubscribed && !transactional {
                return skip("the contact unsubscribed from marketing email");
            }
            // A hard bounce or a spam report stops marketing email to the
            // address (checked again when the message is sent).
            if !transactional
                && let Some(s) = af_db::email_events::suppression_tx(tx, wsid, &to).await?
            {
                return skip(af_db::email_events::skip_reason(&s.reason));
            }
            let (subject, body) = resolve_template(tx, wsid, template_id, subject, body).await?;
            let tctx = crate::context::template_context(cfg, ws, contact, &event);
            let subject = render_text(&subject, &tctx).map_err(StepError::Fatal)?;
            let text = render_text(&body, &tctx).map_err(StepError::Fatal)?;
            let html = match html {
                Some(h) => Some(render_html(h, &tctx).map_err(StepError::Fatal)?),
                None => None,
            };
            let category = if *transactional {
                "transactional"
            } else {
                "marketing"
            };
            let m = Msg {
                channel: Channel::Email,
                to: &to,
                subject: Some(subject.trim()),
                text: &text,
                html: html.as_deref(),
                category,
            };
            queue(tx, e, &step.id, &m, now).await?;
            Ok(Outcome::Next {
                outcome: Some(MessageStatus::Queued.as_str().into()),
                detail: Some(format!("email to {to}")),
            })
        }
        Action::SendSms { body, template_id }
        | Action::SendWhatsapp {
            body, template_id, ..
        } => {
            let channel = if matches!(step.action, Action::SendSms { .. }) {
                Channel::Sms
            } else {
                Channel::WhatsApp
            };
            let Some(to) = contact.phone.clone() else {
                return skip("the contact has no phone");
            };
            if contact.sms_opted_out {
                return skip("the contact opted out of text messages");
            }
            let (_, body) = resolve_template(tx, wsid, template_id, "", body).await?;
            let tctx = crate::context::template_context(cfg, ws, contact, &event);
            let text = render_text(&body, &tctx).map_err(StepError::Fatal)?;
            let m = Msg {
                channel,
                to: &to,
                subject: None,
                text: &text,
                html: None,
                category: "marketing",
            };
            queue(tx, e, &step.id, &m, now).await?;
            Ok(Outcome::Next {
                outcome: Some(MessageStatus::Queued.as_str().into()),
                detail: Some(format!("{channel} to {to}")),
            })
        }
        Action::VoiceCall { say, play_url, .. } => {
            let Some(to) = contact.phone.clone() else {
                return skip("the contact has no phone");
            };
            if contact.sms_opted_out {
                return skip("the contact opted out of calls and text messages");
            }
            let tctx = crate::context::template_context(cfg, ws, contact, &event);
            let text = match say {
                Some(s) => render_text(s, &tctx).map_err(StepError::Fatal)?,
                None => format!("play {}", play_url.clone().unwrap_or_default()),
            };
            let m = Msg {
                channel: Channel::Voice,
                to: &to,
                subject: None,
                text: &text,
                html: None,
                category: "marketing",
            };
            let id = queue(tx, e, &step.id, &m, now).await?;
            let timeout = step
                .action
                .timeout()
                .unwrap_or(SignedDuration::from_mins(30));
            Ok(Outcome::WaitEvent {
                kind: EventKind::CallCompleted.as_str().into(),
                wait: WaitMatch {
                    trigger: af_core::workflow::TriggerKind::CallOutcome { outcome: None },
                    message_id: id.map(|i| i.to_string()),
                },
                until: later(now, timeout),
                detail: format!("calling {to}"),
            })
        }
        Action::AddTag { tag } => {
            let name = af_core::contact::tag_name(tag).map_err(StepError::Fatal)?;
            let added = af_db::contacts::add_tag(tx, wsid, contact.id, &name, &actor, now).await?;
            Ok(Outcome::Next {
                outcome: None,
                detail: Some(if added {
                    format!("tagged {name}")
                } else {
                    format!("already tagged {name}")
                }),
            })
        }
        Action::RemoveTag { tag } => {
            let removed =
                af_db::contacts::remove_tag(tx, wsid, contact.id, tag, &actor, now).await?;
            Ok(Outcome::Next {
                outcome: None,
                detail: Some(if removed {
                    format!("untagged {tag}")
                } else {
                    format!("was not tagged {tag}")
                }),
            })
        }
        Action::MoveToStage { stage_id } => {
            let stage_id: StageId = stage_id
                .parse()
                .map_err(|_| StepError::Fatal("bad stage id".into()))?;
            let stage = af_db::pipelines::get_stage_tx(tx, wsid, stage_id).await?;
            match store::open_deal_in_pipeline(tx, wsid, contact.id, stage.pipeline_id).await? {
                Some(deal) => {
                    af_db::deals::move_deal(
                        tx,
                        wsid,
                        deal,
                        stage.id,
                        af_db::deals::Placement {
                            after: None,
                            before: None,
                        },
                        &actor,
                        now,
                    )
                    .await?;
                }
                None => {
                    let new = af_db::deals::NewDeal {
                        contact_id: contact.id,
                        pipeline_id: Some(stage.pipeline_id),
                        stage_id: Some(stage.id),
                        title: contact.full_name(),
                        value_minor: 0,
                        currency: af_core::money::currency_for_country(&ws.country).to_string(),
                        owner_id: None,
                    };
                    af_db::deals::insert_deal(tx, wsid, &new, &actor, now).await?;
                }
            }
            Ok(Outcome::Next {
                outcome: None,
                detail: Some(format!("moved to {}", stage.name)),
            })
        }
        Action::CreateTask {
            title,
            due_in_hours,
            assignee_id,
        } => {
            let tctx = crate::context::template_context(cfg, ws, contact, &event);
            let title = render_text(title, &tctx).map_err(StepError::Fatal)?;
            let assignee = match assignee_id {
                Some(a) => Some(
                    a.parse::<UserId>()
                        .map_err(|_| StepError::Fatal("bad assignee id".into()))?,
                ),
                None => contact.owner_id.map(UserId),
            };
            let t = af_db::tasks::NewTask {
                contact_id: contact.id,
                title: title.chars().take(200).collect(),
                due_at: due_in_hours.map(|h| later(now, SignedDuration::from_hours(h))),
                assignee_id: assignee,
            };
            af_db::tasks::insert_task(tx, wsid, &t, None, &actor, now).await?;
            Ok(Outcome::Next {
                outcome: None,
                detail: Some(format!("task: {}", t.title)),
            })
        }
        Action::NotifyTeam { message, email } => {
            let tctx = crate::context::template_context(cfg, ws, contact, &event);
            let text = render_text(message, &tctx).map_err(StepError::Fatal)?;
            // In the bell of every member (issue 18; this used to be a
            // `team_notification` automation alert). Email, when asked,
            // still goes to every member through the workspace's outbox.
            let workflow_name = store::find_workflow_tx(tx, wsid, e.workflow_id)
                .await?
                .map(|w| w.name)
                .unwrap_or_default();
            crate::notify::notify_team(
                tx,
                wsid,
                &workflow_name,
                contact.id,
                &contact.full_name(),
                &text,
                now,
            )
            .await?;
            let mut sent = 0;
            if *email {
                for (i, to) in store::member_emails(tx, wsid)
                    .await?
                    .into_iter()
                    .enumerate()
                {
                    let key = format!("{}:{}:{i}", e.id, e.seq);
                    let subject = format!("{} · {}", ws.name, contact.full_name());
                    let m = Msg {
                        channel: Channel::Email,
                        to: &to,
                        subject: Some(&subject),
                        text: &text,
                        html: None,
                        category: "transactional",
                    };
                    queue_keyed(tx, e, &step.id, &m, &key, now).await?;
                    sent += 1;
                }
            }
            Ok(Outcome::Next {
                outcome: None,
                detail: Some(format!("team notified ({sent} emails)")),
            })
        }
        Action::Webhook { url } => {
            let body = serde_json::json!({
                "type": "workflow.step", "workflow_id": e.workflow_id, "enrollment_id": e.id,
                "contact": crate::context::contact_json(contact), "event": event,
            })
            .to_string();
            let m = Msg {
                channel: Channel::Webhook,
                to: url,
                subject: None,
                text: &body,
                html: None,
                category: "system",
            };
            queue(tx, e, &step.id, &m, now).await?;
            Ok(Outcome::Next {
                outcome: Some(MessageStatus::Queued.as_str().into()),
                detail: Some(format!("POST {url}")),
            })
        }
        Action::KommoSync => {
            let body = serde_json::json!({ "contact": crate::context::contact_json(contact), "event": event }).to_string();
            let m = Msg {
                channel: Channel::Kommo,
                to: "kommo",
                subject: None,
                text: &body,
                html: None,
                category: "system",
            };
            queue(tx, e, &step.id, &m, now).await?;
            // Its bookings now concern Kommo too (the lead moves to booked).
            af_db::kommo::note_lead_sync(tx, wsid).await?;
            Ok(Outcome::Next {
                outcome: Some(MessageStatus::Queued.as_str().into()),
                detail: Some("Kommo sync queued".into()),
            })
        }
        Action::ChangeScore { delta } => {
            // One ledger line per step run: a retried step scores once.
            let run = format!("{}:{}", e.id, e.seq);
            let (old, new) =
                store::change_score(tx, wsid, contact.id, *delta, "workflow", &run, &actor, now)
                    .await?;
            Ok(Outcome::Next {
                outcome: None,
                detail: Some(format!("score {old} → {new}")),
            })
        }
        Action::SetField { field, value } => {
            set_field(tx, cfg, ws, contact, &event, field, value, &actor, now).await
        }
        Action::EnrollIn { workflow_id } => {
            let wf: WorkflowId = workflow_id
                .parse()
                .map_err(|_| StepError::Fatal("bad workflow id".into()))?;
            let w = store::find_workflow_tx(tx, wsid, wf)
                .await?
                .ok_or(StepError::Fatal("workflow not found".into()))?;
            let target = crate::enrolment::parse_stored(&w.definition)?;
            let context = serde_json::json!({ "event": event, "from_workflow": e.workflow_id });
            let ok = w.status == "active"
                && crate::enrolment::enrol(
                    tx, wsid, &w, &target, contact.id, None, &context, false, now, now,
                )
                .await?;
            Ok(Outcome::Next {
                outcome: None,
                detail: Some(if ok {
                    format!("enrolled in {}", w.name)
                } else {
                    format!(
                        "not enrolled in {} (already in it, re-entry or paused)",
                        w.name
                    )
                }),
            })
        }
        Action::RemoveFrom { workflow_id } => {
            let wf: WorkflowId = workflow_id
                .parse()
                .map_err(|_| StepError::Fatal("bad workflow id".into()))?;
            let detail = match store::live_enrollment(tx, wsid, wf, contact.id).await? {
                Some(other) if other.id != e.id => {
                    crate::enrolment::exit(tx, other, "removed by another workflow", now).await?;
                    "removed from the workflow"
                }
                _ => "was not in the workflow",
            };
            Ok(Outcome::Next {
                outcome: None,
                detail: Some(detail.into()),
            })
        }
        Action::Wait(w) => {
            if fast_forward {
                return Ok(Outcome::Wait {
                    until: now,
                    detail: "wait skipped (test mode)".into(),
                });
            }
            let tz = zone_for(tx, ws, contact.id, w.time_zone).await?;
            let until = w
                .ends_at(now.0, &tz, &BusinessHours::default())
                .map_err(StepError::Fatal)?;
            Ok(Outcome::Wait {
                until: Ts::new(until),
                // RFC 9557 (instant, offset and zone name), so a page can
                // show it in its own language and format.
                detail: format!("until {}", until.to_zoned(tz)),
            })
        }
        Action::IfElse {
            condition,
            then_steps,
            else_steps,
        } => {
            let tags: HashSet<String> = store::contact_tag_keys(tx, wsid, contact.id)
                .await?
                .into_iter()
                .collect();
            let data = serde_json::json!({ "contact": crate::context::contact_json(contact), "event": event });
            let facts = Facts {
                data: &data,
                tags: &tags,
                score: i64::from(contact.score),
                last_outcome: e.last_outcome.as_deref(),
            };
            let yes = condition.eval(&facts);
            let branch = if yes { then_steps } else { else_steps };
            Ok(Outcome::Branch {
                entry: def.branch_entry(&step.id, branch),
                outcome: if yes { "then".into() } else { "else".into() },
            })
        }
        Action::WaitForEvent { event: pattern, .. } => {
            let trigger = pattern.to_kind().map_err(StepError::Fatal)?;
            let kind = trigger
                .event_kind()
                .ok_or(StepError::Fatal("that event cannot be waited for".into()))?;
            let timeout = step
                .action
                .timeout()
                .unwrap_or(SignedDuration::from_hours(24));
            let until = if fast_forward {
                now
            } else {
                later(now, timeout)
            };
            Ok(Outcome::WaitEvent {
                kind: kind.clone(),
                wait: WaitMatch {
                    trigger,
                    message_id: None,
                },
                until,
                detail: format!("waiting for {kind}"),
            })
        }
    }
}

fn skip(reason: &str) -> StepResult {
    Ok(Outcome::Skipped {
        reason: reason.into(),
    })
}

fn later(now: Ts, by: SignedDuration) -> Ts {
    Ts::new(now.0.checked_add(by).unwrap_or(now.0))
}

/// The contact's zone (falling back to the workspace's) or the workspace's.
async fn zone_for(
    tx: &mut Tx,
    ws: &Workspace,
    contact: ContactId,
    which: WaitZone,
) -> Result<TimeZone, StepError> {
    let own = match which {
        WaitZone::Contact => store::contact_time_zone(tx, ws.id, contact).await?,
        WaitZone::Workspace => None,
    };
    let name = own.unwrap_or_else(|| ws.time_zone.clone());
    TimeZone::get(&name)
        .or_else(|_| TimeZone::get(&ws.time_zone))
        .map_err(|e| StepError::Fatal(format!("time zone {name}: {e}")))
}

async fn resolve_template(
    tx: &mut Tx,
    ws: af_core::WorkspaceId,
    template_id: &Option<String>,
    subject: &str,
    body: &str,
) -> Result<(String, String), StepError> {
    let Some(id) = template_id else {
        return Ok((subject.to_string(), body.to_string()));
    };
    let id: TemplateId = id
        .parse()
        .map_err(|_| StepError::Fatal("bad template id".into()))?;
    let t = store::find_template_tx(tx, ws, id)
        .await?
        .ok_or(StepError::Fatal("message template not found".into()))?;
    Ok((t.subject.unwrap_or_default(), t.body))
}

#[expect(clippy::too_many_arguments, reason = "the step's whole context")]
async fn set_field(
    tx: &mut Tx,
    cfg: &EngineConfig,
    ws: &Workspace,
    contact: &Contact,
    event: &serde_json::Value,
    field: &str,
    value: &serde_json::Value,
    actor: &Actor,
    now: Ts,
) -> StepResult {
    let tctx = crate::context::template_context(cfg, ws, contact, event);
    // Text values may use merge fields.
    let value = match value {
        serde_json::Value::String(s) => {
            serde_json::Value::String(render_text(s, &tctx).map_err(StepError::Fatal)?)
        }
        other => other.clone(),
    };
    let text = || {
        value
            .as_str()
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| value.to_string())
    };
    let mut patch = ContactPatch::default();
    match field {
        "first_name" => patch.first_name = Some(text()),
        "last_name" => patch.last_name = Some(text()),
        "company" => patch.company = Some(Some(text()).filter(|s| !s.is_empty())),
        "source" => patch.source = Some(Some(text()).filter(|s| !s.is_empty())),
        "lifecycle" => {
            patch.lifecycle = Some(af_core::contact::lifecycle(&text()).map_err(StepError::Fatal)?)
        }
        other => {
            let key = other
                .strip_prefix("custom.")
                .ok_or(StepError::Fatal(format!("unknown field {other}")))?;
            let defs = custom_defs(tx, ws.id).await?;
            let mut m = serde_json::Map::new();
            m.insert(key.to_string(), value.clone());
            let checked = af_db::custom_fields::validate_values(&defs, &m).map_err(|e| {
                StepError::Fatal(
                    e.iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
            patch.custom = checked;
        }
    }
    af_db::contacts::update_contact(tx, ws.id, contact.id, &patch, actor, now).await?;
    Ok(Outcome::Next {
        outcome: None,
        detail: Some(format!("{field} set")),
    })
}

async fn custom_defs(
    tx: &mut Tx,
    ws: af_core::WorkspaceId,
) -> Result<Vec<af_db::custom_fields::FieldDef>, StepError> {
    Ok(store::custom_field_defs_tx(tx, ws).await?)
}

struct Msg<'a> {
    channel: Channel,
    to: &'a str,
    subject: Option<&'a str>,
    text: &'a str,
    html: Option<&'a str>,
    category: &'a str,
}

/// Inserts a queued message for this step run and enqueues its send job.
async fn queue(
    tx: &mut Tx,
    e: &Enrollment,
    step_id: &str,
    m: &Msg<'_>,
    now: Ts,
) -> Result<Option<MessageId>, StepError> {
    let key = format!("{}:{}", e.id, e.seq);
    queue_keyed(tx, e, step_id, m, &key, now).await
}

async fn queue_keyed(
    tx: &mut Tx,
    e: &Enrollment,
    step_id: &str,
    m: &Msg<'_>,
    key: &str,
    now: Ts,
) -> Result<Option<MessageId>, StepError> {
    let new = af_db::messages::NewMessage {
        workspace: e.workspace_id,
        channel: m.channel,
        provider: "outbox",
        to: m.to,
        from: None,
        subject: m.subject,
        body_text: m.text,
        body_html: m.html,
        category: m.category,
        status: MessageStatus::Queued,
        contact_id: Some(e.contact_id),
        enrollment_id: Some(e.id),
        step_id: Some(step_id),
        idempotency_key: Some(key),
    };
    let id = af_db::messages::insert_message_once(tx, &new, now).await?;
    if let Some(id) = id {
        let job = af_core::jobs::SendMessage { message_id: id };
        af_db::jobs::enqueue_job(tx, Some(e.workspace_id), &job, now, now).await?;
    }
    Ok(id)
}
