//! The board's live stream: server-sent events of one pipeline's deals, so
//! everyone looking at the board sees a move as it happens. The fan-out
//! is `af_db::live`; this only filters and frames.

use super::load_pipeline;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::IdPath;
use crate::state::AppState;
use af_core::PipelineId;
use af_db::live::{self, Recv};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use std::convert::Infallible;

/// `GET /pipelines/{id}/events`: server-sent events of this pipeline's
/// deals (`deal` with the live payload; `resync` when some may have been
/// missed). Only the user's own workspace and this pipeline pass.
pub(super) async fn board_events(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<PipelineId>,
) -> AppResult<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>> {
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let sub = live::subscribe(&st.db).await?;
    let ws = cu.workspace.id;
    let pipeline = p.pipeline.id;
    let closing = st.shutdown.clone();
    let stream = futures::stream::unfold((sub, closing), move |(mut sub, closing)| async move {
        loop {
            let msg = tokio::select! {
                _ = closing.cancelled() => return None,
                msg = sub.recv() => msg,
            };
            let event = match msg {
                Recv::Event(ev) if ev.workspace_id == ws && ev.pipeline_id == pipeline => {
                    Event::default()
                        .event("deal")
                        .json_data(&ev)
                        .unwrap_or_else(|_| Event::default().event("resync").data("{}"))
                }
                Recv::Event(_) | Recv::Notification(_) | Recv::Conversation(_) => continue,
                Recv::Resync => Event::default().event("resync").data("{}"),
                Recv::Closed => return None,
            };
            return Some((Ok(event), (sub, closing)));
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
