//! Test fixtures of the imports area: what [`seed`] adds to every tenant, and
//! the area's routes that take an id, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp};

/// Adds this area's records to a tenant (ids go into `tenant.ids`).
pub async fn seed(_app: &TestApp, _t: &mut Tenant) {}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(_other: &Tenant) -> Vec<IdRoute> {
    vec![]
}
