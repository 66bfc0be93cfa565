//! What the store takes in and gives back: plain data, no database types.

use serde::Serialize;
use uuid::Uuid;

/// Milliseconds since the Unix epoch, UTC: the one time representation in storage.
pub type Millis = i64;

pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// How a submission reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Form,
    Import,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Form => "form",
            Channel::Import => "import",
        }
    }
}

/// One consent the person gave with a submission, with the exact words they were shown.
#[derive(Clone, Debug)]
pub struct ConsentGrant {
    pub channel: &'static str,
    pub text: String,
    pub version: String,
}

/// A checked sign-up, ready to be folded into a person.
#[derive(Clone, Debug)]
pub struct NewSubmission {
    pub signup: downballot_domain::signup::Signup,
    pub lang: &'static str,
    pub channel: Channel,
    pub received_at: Millis,
    /// The consents given with this submission (only those ticked).
    pub consents: Vec<ConsentGrant>,
    /// The point and districts resolved for this sign-up, when boundaries are loaded.
    pub location: Option<Location>,
}

/// What happened to one submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SubmitOutcome {
    pub person_id: Uuid,
    pub submission_id: Uuid,
    /// A new person was created (rather than an existing one updated).
    pub created: bool,
    /// The e-mail and the phone pointed at two different people: a merge candidate was recorded.
    pub merge_candidate: bool,
}

/// A person's current fields.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub locality: Option<String>,
    pub region: String,
    pub postal_code: String,
    pub interest: String,
    pub offices: Option<String>,
    pub timeframe: Option<String>,
    pub involvement: Option<String>,
    pub involvement_detail: Option<String>,
    pub birth_year: Option<i64>,
    pub consent_email: bool,
    pub consent_sms: bool,
    pub consent_share: bool,
    pub source: Option<String>,
    pub submission_count: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub merged_into: Option<Uuid>,
}

impl Person {
    pub fn full_name(&self) -> String {
        match &self.family_name {
            Some(f) => format!("{} {}", self.given_name, f),
            None => self.given_name.clone(),
        }
    }
}

/// One sign-up as it was received.
#[derive(Clone, Debug, Serialize)]
pub struct Submission {
    pub submission_id: Uuid,
    pub person_id: Uuid,
    pub received_at: Millis,
    pub channel: String,
    pub lang: String,
    pub source: Option<String>,
    pub referrer: Option<String>,
    pub given_name: String,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub locality: Option<String>,
    pub region: String,
    pub postal_code: String,
    pub interest: String,
    pub offices: Option<String>,
    pub timeframe: Option<String>,
    pub involvement: Option<String>,
    pub involvement_detail: Option<String>,
    pub birth_year: Option<i64>,
    pub consent_email: bool,
    pub consent_sms: bool,
    pub consent_share: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConsentRecord {
    pub consent_id: Uuid,
    pub person_id: Uuid,
    pub submission_id: Option<Uuid>,
    pub channel: String,
    pub granted: bool,
    pub text: String,
    pub text_version: String,
    pub lang: String,
    pub recorded_at: Millis,
    pub recorded_by: Option<Uuid>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MergeCandidate {
    pub merge_candidate_id: Uuid,
    pub person_id: Uuid,
    pub other_person_id: Uuid,
    pub submission_id: Uuid,
    pub reason: String,
    pub status: String,
    pub created_at: Millis,
    pub resolved_at: Option<Millis>,
    /// Name of the other person, for display.
    pub other_name: String,
    /// Name of the person, for display.
    pub person_name: String,
}

/// Everything the person page shows.
#[derive(Clone, Debug, Serialize)]
pub struct PersonDetail {
    pub person: Person,
    pub identities: Vec<(String, String)>,
    pub submissions: Vec<Submission>,
    pub consents: Vec<ConsentRecord>,
    pub merge_candidates: Vec<MergeCandidate>,
    /// The districts the person's point falls in, with the map each came from.
    pub divisions: Vec<PersonDivision>,
    /// (latitude, longitude, accuracy) of the point used.
    pub location: Option<(f64, f64, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StaffUser {
    pub user_id: Uuid,
    pub email: String,
    pub role: String,
    pub created_at: Millis,
    pub last_login_at: Option<Millis>,
    pub disabled: bool,
    /// For role `partner`: the partner organization the account belongs to.
    pub partner_id: Option<Uuid>,
}

/// A staff user with the password hash, for login only.
#[derive(Clone, Debug)]
pub struct StaffCredentials {
    pub user: StaffUser,
    pub password_hash: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    pub audit_id: Uuid,
    pub at: Millis,
    pub user_email: Option<String>,
    pub action: String,
    pub person_id: Option<Uuid>,
    pub detail: Option<String>,
}

/// Counts for the dashboard.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Dashboard {
    pub people: i64,
    pub submissions: i64,
    pub run: i64,
    pub volunteer: i64,
    pub both: i64,
    /// (state, run, volunteer, both), by state code.
    pub by_state: Vec<StateCounts>,
    /// (UTC day number since the epoch, submissions that day), oldest first.
    pub per_day: Vec<(i64, i64)>,
    pub latest: Vec<LatestSignup>,
    pub open_merge_candidates: i64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StateCounts {
    pub region: String,
    pub run: i64,
    pub volunteer: i64,
    pub both: i64,
}

impl StateCounts {
    pub fn total(&self) -> i64 {
        self.run + self.volunteer + self.both
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LatestSignup {
    pub person_id: Uuid,
    pub name: String,
    pub region: String,
    pub interest: String,
    pub received_at: Millis,
    pub source: Option<String>,
}

/// Where a person is, and the districts that point falls in (decided before the write).
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    /// `approximate` (the ZIP code's centroid) or `precise` (coordinates from the browser).
    pub accuracy: &'static str,
    pub divisions: Vec<DivisionRef>,
}

/// One division a point falls in, and which map said so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DivisionRef {
    pub ocd_id: String,
    pub kind: String,
    pub layer_id: String,
    pub map: String,
}

/// A person's division as shown: with its human name from the catalog when known.
#[derive(Clone, Debug, Serialize)]
pub struct PersonDivision {
    pub ocd_id: String,
    pub kind: String,
    pub layer_id: String,
    pub map: String,
    pub name: Option<String>,
}

/// An imported boundary layer: one map of one kind of district.
#[derive(Clone, Debug)]
pub struct BoundaryLayer {
    pub layer_id: String,
    pub kind: String,
    pub map: String,
    pub valid_from: Option<String>,
    pub valid_through: Option<String>,
    pub source: String,
    pub districts: Vec<BoundaryDistrict>,
}

#[derive(Clone, Debug)]
pub struct BoundaryDistrict {
    pub ocd_id: String,
    pub name: Option<String>,
    /// GeoJSON geometry text.
    pub geometry: String,
}

/// A layer's summary, without geometry.
#[derive(Clone, Debug, Serialize)]
pub struct LayerSummary {
    pub layer_id: String,
    pub kind: String,
    pub map: String,
    pub valid_from: Option<String>,
    pub valid_through: Option<String>,
    pub districts: i64,
    pub imported_at: Millis,
}

/// One entry of the Open Civic Data catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogDivision {
    pub ocd_id: String,
    pub name: String,
    pub valid_from: Option<String>,
    pub valid_through: Option<String>,
}

/// What `geo reassign` needs to re-resolve one person.
#[derive(Clone, Debug)]
pub struct PersonPoint {
    pub person_id: uuid::Uuid,
    pub postal_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy: Option<String>,
}
