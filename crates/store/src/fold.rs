//! How a batch of sign-ups folds into people, decided in Rust and applied by either backend.
//!
//! The backend looks up which people the batch's e-mails and phones already point at
//! ([`Plan::keys`]), then [`plan`] decides, in arrival order, which person each submission
//! belongs to, what identities are new, and which merge candidates arise. Deciding here rather
//! than in SQL keeps SQLite and PostgreSQL behaving identically, and lets PostgreSQL apply a
//! whole batch with a handful of set-based statements.
//!
//! Rules: the e-mail (lower-cased) and the E.164 phone are identities; each points at one
//! person forever (until staff merge). A submission whose e-mail points at person A and phone at
//! person B goes to A, B keeps the phone, and an open merge candidate (A, B) is recorded for
//! staff to review. Newest non-empty value wins for each current field; consents only ever get
//! granted by a submission (withdrawal is an explicit act recorded separately).

use std::collections::HashMap;

use uuid::Uuid;

use crate::model::{DivisionRef, Millis, NewSubmission, SubmitOutcome};

/// Identity kind and value, e.g. ("email", "ana@example.org").
pub type IdentityKey = (&'static str, String);

/// The identities of a batch, to look up before planning.
pub fn keys(batch: &[NewSubmission]) -> Vec<IdentityKey> {
    let mut keys = Vec::new();
    for s in batch {
        if let Some(e) = &s.signup.email {
            keys.push(("email", e.as_str().to_owned()));
        }
        if let Some(p) = &s.signup.phone {
            keys.push(("phone", p.as_str().to_owned()));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Current fields to write for one person: `None` keeps what is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonUpsert {
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
    /// Submissions this batch adds to the person.
    pub added_submissions: i64,
    pub at: Millis,
    /// The point resolved for the newest sign-up, when there was one.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub location_accuracy: Option<String>,
    pub located_at: Option<Millis>,
}

impl PersonUpsert {
    /// Folds a newer upsert for the same person into this one (newest non-empty wins).
    fn absorb(&mut self, newer: PersonUpsert) {
        fn keep<T>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        self.given_name = newer.given_name;
        keep(&mut self.family_name, newer.family_name);
        keep(&mut self.email, newer.email);
        keep(&mut self.phone, newer.phone);
        keep(&mut self.address_line, newer.address_line);
        keep(&mut self.locality, newer.locality);
        self.region = newer.region;
        self.postal_code = newer.postal_code;
        self.interest = newer.interest;
        keep(&mut self.offices, newer.offices);
        keep(&mut self.timeframe, newer.timeframe);
        keep(&mut self.involvement, newer.involvement);
        keep(&mut self.involvement_detail, newer.involvement_detail);
        keep(&mut self.birth_year, newer.birth_year);
        self.consent_email |= newer.consent_email;
        self.consent_sms |= newer.consent_sms;
        self.consent_share |= newer.consent_share;
        if self.source.is_none() {
            self.source = newer.source;
        }
        self.added_submissions += newer.added_submissions;
        self.at = self.at.max(newer.at);
        if newer.latitude.is_some() {
            self.latitude = newer.latitude;
            self.longitude = newer.longitude;
            self.location_accuracy = newer.location_accuracy;
            self.located_at = newer.located_at;
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct IdentityRow {
    pub kind: &'static str,
    pub value: String,
    pub person_id: Uuid,
    pub at: Millis,
}

/// A submission row, as received (normalized), tied to its person.
#[derive(Clone, Debug)]
pub struct SubmissionRow {
    pub submission_id: Uuid,
    pub person_id: Uuid,
    pub received_at: Millis,
    pub channel: &'static str,
    pub lang: &'static str,
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

#[derive(Clone, Debug)]
pub struct ConsentRow {
    pub consent_id: Uuid,
    pub person_id: Uuid,
    pub submission_id: Uuid,
    pub channel: &'static str,
    pub text: String,
    pub version: String,
    pub lang: &'static str,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MergeCandidateRow {
    pub merge_candidate_id: Uuid,
    pub person_id: Uuid,
    pub other_person_id: Uuid,
    pub submission_id: Uuid,
    pub at: Millis,
}

/// Everything one batch writes.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// One row per person touched, in order of first appearance; `new` tells insert from update.
    pub persons: Vec<(bool, PersonUpsert)>,
    pub identities: Vec<IdentityRow>,
    pub submissions: Vec<SubmissionRow>,
    pub consents: Vec<ConsentRow>,
    pub merge_candidates: Vec<MergeCandidateRow>,
    /// The newest divisions per located person: (person, is new, divisions). A person who is
    /// not new has their earlier divisions replaced.
    pub divisions: Vec<(Uuid, bool, Vec<DivisionRef>)>,
    /// One per input submission, in input order.
    pub outcomes: Vec<SubmitOutcome>,
}

fn join<T>(items: &[T], f: impl Fn(&T) -> &'static str) -> Option<String> {
    if items.is_empty() {
        None
    } else {
        Some(items.iter().map(f).collect::<Vec<_>>().join(","))
    }
}

/// Decides how `batch` folds into people, given what the identities already point at.
pub fn plan(batch: &[NewSubmission], existing: &HashMap<IdentityKey, Uuid>) -> Plan {
    let mut known: HashMap<IdentityKey, Uuid> = existing.clone();
    let mut plan = Plan::default();
    let mut person_index: HashMap<Uuid, usize> = HashMap::new();
    let mut location_index: HashMap<Uuid, usize> = HashMap::new();

    for s in batch {
        let sg = &s.signup;
        let email_key = sg.email.as_ref().map(|e| ("email", e.as_str().to_owned()));
        let phone_key = sg.phone.as_ref().map(|p| ("phone", p.as_str().to_owned()));
        let by_email = email_key.as_ref().and_then(|k| known.get(k).copied());
        let by_phone = phone_key.as_ref().and_then(|k| known.get(k).copied());

        let (person_id, created, conflict) = match (by_email, by_phone) {
            (Some(a), Some(b)) if a != b => (a, false, Some(b)),
            (Some(a), _) => (a, false, None),
            (None, Some(b)) => (b, false, None),
            (None, None) => (Uuid::now_v7(), true, None),
        };
        let submission_id = Uuid::now_v7();
        let at = s.received_at;

        for key in [&email_key, &phone_key].into_iter().flatten() {
            if !known.contains_key(key) {
                known.insert(key.clone(), person_id);
                plan.identities.push(IdentityRow {
                    kind: key.0,
                    value: key.1.clone(),
                    person_id,
                    at,
                });
            }
        }

        let offices = join(&sg.offices, |o| o.as_str());
        let involvement = join(&sg.involvement, |i| i.as_str());
        let row = SubmissionRow {
            submission_id,
            person_id,
            received_at: at,
            channel: s.channel.as_str(),
            lang: s.lang,
            source: sg.source.clone(),
            referrer: sg.referrer.clone(),
            given_name: sg.given_name.clone(),
            family_name: sg.family_name.clone(),
            email: sg.email.as_ref().map(|e| e.as_str().to_owned()),
            phone: sg.phone.as_ref().map(|p| p.as_str().to_owned()),
            address_line: sg.address_line.clone(),
            locality: sg.locality.clone(),
            region: sg.region.as_str().to_owned(),
            postal_code: sg.postal_code.as_str().to_owned(),
            interest: sg.interest.as_str().to_owned(),
            offices,
            timeframe: sg.timeframe.map(|t| t.as_str().to_owned()),
            involvement,
            involvement_detail: sg.involvement_detail.clone(),
            birth_year: sg.birth_year.map(i64::from),
            consent_email: sg.consent_email,
            consent_sms: sg.consent_sms,
            consent_share: sg.consent_share,
        };

        let upsert = PersonUpsert {
            person_id,
            given_name: row.given_name.clone(),
            family_name: row.family_name.clone(),
            email: row.email.clone(),
            // The phone belongs to another person until staff decide: don't copy it here.
            phone: if conflict.is_some() {
                None
            } else {
                row.phone.clone()
            },
            address_line: row.address_line.clone(),
            locality: row.locality.clone(),
            region: row.region.clone(),
            postal_code: row.postal_code.clone(),
            interest: row.interest.clone(),
            offices: row.offices.clone(),
            timeframe: row.timeframe.clone(),
            involvement: row.involvement.clone(),
            involvement_detail: row.involvement_detail.clone(),
            birth_year: row.birth_year,
            consent_email: row.consent_email,
            consent_sms: row.consent_sms,
            consent_share: row.consent_share,
            source: row.source.clone(),
            added_submissions: 1,
            at,
            latitude: s.location.as_ref().map(|l| l.lat),
            longitude: s.location.as_ref().map(|l| l.lon),
            location_accuracy: s.location.as_ref().map(|l| l.accuracy.to_owned()),
            located_at: s.location.as_ref().map(|_| at),
        };
        match person_index.get(&person_id) {
            Some(&i) => plan.persons[i].1.absorb(upsert),
            None => {
                person_index.insert(person_id, plan.persons.len());
                plan.persons.push((created, upsert));
            }
        }

        for grant in &s.consents {
            plan.consents.push(ConsentRow {
                consent_id: Uuid::now_v7(),
                person_id,
                submission_id,
                channel: grant.channel,
                text: grant.text.clone(),
                version: grant.version.clone(),
                lang: s.lang,
                at,
            });
        }
        if let Some(loc) = &s.location {
            match location_index.get(&person_id) {
                Some(&i) => plan.divisions[i].2 = loc.divisions.clone(),
                None => {
                    location_index.insert(person_id, plan.divisions.len());
                    plan.divisions
                        .push((person_id, created, loc.divisions.clone()));
                }
            }
        }
        if let Some(other) = conflict {
            plan.merge_candidates.push(MergeCandidateRow {
                merge_candidate_id: Uuid::now_v7(),
                person_id,
                other_person_id: other,
                submission_id,
                at,
            });
        }
        plan.submissions.push(row);
        plan.outcomes.push(SubmitOutcome {
            person_id,
            submission_id,
            created,
            merge_candidate: conflict.is_some(),
        });
    }
    plan
}
