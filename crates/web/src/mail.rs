//! System emails (password reset, invitations). Until the channels issue
//! brings real providers, they go to the built-in outbox, which records the
//! message and shows it on the Messages page like a mail catcher.

use af_core::WorkspaceId;
use af_db::messages::{NewMessage, insert_message};
use af_db::{DbResult, Ts, Tx};

pub async fn record_system_email(
    tx: &mut Tx,
    workspace: WorkspaceId,
    to: &str,
    subject: &str,
    body: &str,
    now: Ts,
) -> DbResult<()> {
    let message = NewMessage {
        workspace,
        channel: "email",
        provider: "outbox",
        to,
        from: None,
        subject: Some(subject),
        body_text: body,
        body_html: None,
        category: "system",
        status: "sent",
        ..Default::default()
    };
    insert_message(tx, &message, now).await?;
    Ok(())
}
