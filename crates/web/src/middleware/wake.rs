//! Wakes this process's job workers after every write request. Handlers
//! commit before they answer, so by the time the response passes here any
//! job their transaction enqueued (an automation routed from a new lead, a
//! send) is visible. PostgreSQL already wakes every node with NOTIFY at
//! commit; on SQLite this is what keeps trigger-to-first-step latency low
//! instead of waiting for the workers' poll. A wake-up with nothing to do
//! costs one empty claim.

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

pub async fn after_writes(req: Request, next: Next) -> Response {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.run(req).await;
    if write && !res.status().is_server_error() {
        af_db::jobs::wake_workers();
    }
    res
}
