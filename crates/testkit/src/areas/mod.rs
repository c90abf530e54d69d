//! Per-area fixtures and id routes, one file per area so each capability
//! extends its own.

pub mod automations;
pub mod board;
pub mod calendars;
pub mod channels;
pub mod contacts;
pub mod conversations;
pub mod forms;
pub mod imports;
pub mod jobs;
pub mod memberships;
pub mod notifications;
pub mod retention;
pub mod scoring;

use crate::{IdRoute, Tenant, TestApp};

pub async fn seed_all(app: &TestApp, t: &mut Tenant) {
    contacts::seed(app, t).await;
    board::seed(app, t).await;
    imports::seed(app, t).await;
    jobs::seed(app, t).await;
    forms::seed(app, t).await;
    automations::seed(app, t).await;
    channels::seed(app, t).await;
    calendars::seed(app, t).await;
    memberships::seed(app, t).await;
    scoring::seed(app, t).await;
    retention::seed(app, t).await;
    notifications::seed(app, t).await;
    conversations::seed(app, t).await;
}

pub fn routes_all(other: &Tenant) -> Vec<IdRoute> {
    let mut all = contacts::routes(other);
    all.extend(board::routes(other));
    all.extend(imports::routes(other));
    all.extend(jobs::routes(other));
    all.extend(forms::routes(other));
    all.extend(automations::routes(other));
    all.extend(channels::routes(other));
    all.extend(calendars::routes(other));
    all.extend(memberships::routes(other));
    all.extend(scoring::routes(other));
    all.extend(retention::routes(other));
    all.extend(notifications::routes(other));
    all.extend(conversations::routes(other));
    all
}
