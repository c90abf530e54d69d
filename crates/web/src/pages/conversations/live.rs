//! `GET /conversations/events`: server-sent `conversation` events
//! (`{"contact_id": "..."}`) for the signed-in member's workspace — a
//! message in or out, a delivery status, a thread read, assigned or
//! closed — and `resync` when some may have been missed. The page reloads
//! the list, and the thread when it is the open one. The fan-out is
//! `af_db::live` (LISTEN/NOTIFY across nodes on PostgreSQL).

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use af_db::live::{self, Recv};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use std::convert::Infallible;

pub async fn events(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>> {
    let sub = live::subscribe(&st.db).await?;
    let ws = cu.workspace.id;
    let closing = st.shutdown.clone();
    let stream = futures::stream::unfold((sub, closing), move |(mut sub, closing)| async move {
        loop {
            let msg = tokio::select! {
                _ = closing.cancelled() => return None,
                msg = sub.recv() => msg,
            };
            let event = match msg {
                Recv::Conversation(c) if c.workspace_id == ws => Event::default()
                    .event("conversation")
                    .data(serde_json::json!({ "contact_id": c.contact_id }).to_string()),
                Recv::Resync => Event::default().event("resync").data("{}"),
                Recv::Conversation(_) | Recv::Event(_) | Recv::Notification(_) => continue,
                Recv::Closed => return None,
            };
            return Some((Ok(event), (sub, closing)));
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
