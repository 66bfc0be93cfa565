//! Pages for signed-in staff. Organizers and admins see people; only admins manage accounts,
//! read the audit log and import files.

/// The audit log (admin).
pub mod audit;
/// Totals, states, the chart, the latest sign-ups.
pub mod dashboard;
/// CSV upload (admin).
pub mod import;
/// Partners: the funnel, partner admin, users, tokens, webhook deliveries.
pub mod partners;
/// The people list, its filters and the CSV export.
pub mod people;
/// One person: fields, submissions, consents, merges; each view is audited.
pub mod person;
/// Uncontested seats next to the recruits who live there; CSV exports.
pub mod races;
/// Staff accounts (admin).
pub mod users;

use crate::auth::Staff;

/// One option of a filter's drop-down.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// What the staff layout needs on every page.
pub struct Nav {
    pub email: String,
    pub admin: bool,
    pub current: &'static str,
}

impl Nav {
    pub fn new(staff: &Staff, current: &'static str) -> Self {
        Nav {
            email: staff.user.email.clone(),
            admin: staff.is_admin(),
            current,
        }
    }
}
