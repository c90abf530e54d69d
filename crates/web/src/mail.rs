//! System emails (password resets, invitations) carry secret links, so they
//! never go to a workspace outbox where members and API keys could read
//! them. With a server email provider they are queued, sealed, for the
//! `system_mail` job; without one the link reaches only the operator, in the
//! server log at warn level (and through `agencyflow user reset-link` /
//! `agencyflow invite link`).

use crate::AppState;
use af_db::{DbResult, Ts, Tx};
use af_engine::system_mail::{SystemMail, enqueue_system_mail, server_can_send_email};

/// Sends a system email in the caller's transaction, or hands its link to
/// the operator's log when the server has no email provider. Answers
/// whether an email was queued, so pages never claim one was sent when the
/// link only went to the log.
pub async fn send_system_email(
    st: &AppState,
    tx: &mut Tx,
    mail: SystemMail,
    link: &str,
    now: Ts,
) -> DbResult<bool> {
    if server_can_send_email(&st.config.channels) {
        enqueue_system_mail(tx, &st.secret, &mail, now).await?;
        return Ok(true);
    }
    tracing::warn!(
        to = %mail.to,
        subject = %mail.subject,
        link = %link,
        "no email provider is configured: give this link to its owner yourself"
    );
    Ok(false)
}
