//! SQL shared by both backends (written with `$N` placeholders) and the row mappers.

use anyhow::Result;

use crate::fold::{ConsentRow, IdentityRow, MergeCandidateRow, PersonUpsert, SubmissionRow};
use crate::model::*;
use crate::value::{RowAccess, Value};

pub const PERSON_COLUMNS: &str = "person_id, given_name, family_name, email, phone, address_line, \
    locality, region, postal_code, interest, offices, timeframe, involvement, involvement_detail, \
    birth_year, consent_email, consent_sms, consent_share, source, submission_count, created_at, \
    updated_at, merged_into";

pub fn map_person(r: &dyn RowAccess) -> Result<Person> {
    Ok(Person {
        person_id: r.req_uuid(0)?,
        given_name: r.req_text(1)?,
        family_name: r.text(2)?,
        email: r.text(3)?,
        phone: r.text(4)?,
        address_line: r.text(5)?,
        locality: r.text(6)?,
        region: r.req_text(7)?,
        postal_code: r.req_text(8)?,
        interest: r.req_text(9)?,
        offices: r.text(10)?,
        timeframe: r.text(11)?,
        involvement: r.text(12)?,
        involvement_detail: r.text(13)?,
        birth_year: r.int(14)?,
        consent_email: r.boolean(15)?,
        consent_sms: r.boolean(16)?,
        consent_share: r.boolean(17)?,
        source: r.text(18)?,
        submission_count: r.req_int(19)?,
        created_at: r.req_int(20)?,
        updated_at: r.req_int(21)?,
        merged_into: r.uuid(22)?,
    })
}

pub const SUBMISSION_COLUMNS: &str = "submission_id, person_id, received_at, channel, lang, source, \
    referrer, given_name, family_name, email, phone, address_line, locality, region, postal_code, \
    interest, offices, timeframe, involvement, involvement_detail, birth_year, consent_email, \
    consent_sms, consent_share";

pub fn map_submission(r: &dyn RowAccess) -> Result<Submission> {
    Ok(Submission {
        submission_id: r.req_uuid(0)?,
        person_id: r.req_uuid(1)?,
        received_at: r.req_int(2)?,
        channel: r.req_text(3)?,
        lang: r.req_text(4)?,
        source: r.text(5)?,
        referrer: r.text(6)?,
        given_name: r.req_text(7)?,
        family_name: r.text(8)?,
        email: r.text(9)?,
        phone: r.text(10)?,
        address_line: r.text(11)?,
        locality: r.text(12)?,
        region: r.req_text(13)?,
        postal_code: r.req_text(14)?,
        interest: r.req_text(15)?,
        offices: r.text(16)?,
        timeframe: r.text(17)?,
        involvement: r.text(18)?,
        involvement_detail: r.text(19)?,
        birth_year: r.int(20)?,
        consent_email: r.boolean(21)?,
        consent_sms: r.boolean(22)?,
        consent_share: r.boolean(23)?,
    })
}

pub const CONSENT_COLUMNS: &str = "consent_id, person_id, submission_id, channel, granted, text, \
    text_version, lang, recorded_at, recorded_by";

pub fn map_consent(r: &dyn RowAccess) -> Result<ConsentRecord> {
    Ok(ConsentRecord {
        consent_id: r.req_uuid(0)?,
        person_id: r.req_uuid(1)?,
        submission_id: r.uuid(2)?,
        channel: r.req_text(3)?,
        granted: r.boolean(4)?,
        text: r.req_text(5)?,
        text_version: r.req_text(6)?,
        lang: r.req_text(7)?,
        recorded_at: r.req_int(8)?,
        recorded_by: r.uuid(9)?,
    })
}

pub const MERGE_CANDIDATE_SELECT: &str = "SELECT m.merge_candidate_id, m.person_id, m.other_person_id, \
    m.submission_id, m.reason, m.status, m.created_at, m.resolved_at, \
    o.given_name || COALESCE(' ' || o.family_name, ''), p.given_name || COALESCE(' ' || p.family_name, '') \
    FROM merge_candidate m JOIN person o ON o.person_id = m.other_person_id \
    JOIN person p ON p.person_id = m.person_id";

pub fn map_merge_candidate(r: &dyn RowAccess) -> Result<MergeCandidate> {
    Ok(MergeCandidate {
        merge_candidate_id: r.req_uuid(0)?,
        person_id: r.req_uuid(1)?,
        other_person_id: r.req_uuid(2)?,
        submission_id: r.req_uuid(3)?,
        reason: r.req_text(4)?,
        status: r.req_text(5)?,
        created_at: r.req_int(6)?,
        resolved_at: r.int(7)?,
        other_name: r.req_text(8)?,
        person_name: r.req_text(9)?,
    })
}

pub const STAFF_COLUMNS: &str =
    "user_id, email, role, created_at, last_login_at, disabled, partner_id";

pub fn map_staff(r: &dyn RowAccess) -> Result<StaffUser> {
    Ok(StaffUser {
        user_id: r.req_uuid(0)?,
        email: r.req_text(1)?,
        role: r.req_text(2)?,
        created_at: r.req_int(3)?,
        last_login_at: r.int(4)?,
        disabled: r.boolean(5)?,
        partner_id: r.uuid(6)?,
    })
}

/// Column list of the person upsert, in bind order.
pub const PERSON_INSERT_COLUMNS: &str = "person_id, given_name, family_name, email, phone, address_line, \
    locality, region, postal_code, interest, offices, timeframe, involvement, involvement_detail, \
    birth_year, consent_email, consent_sms, consent_share, source, submission_count, created_at, updated_at, \
    latitude, longitude, location_accuracy, located_at";

/// What an upsert does to an existing person: newest non-empty value wins, consents only grow,
/// the first source stays, the submission count adds up.
pub const PERSON_ON_CONFLICT: &str = "ON CONFLICT (person_id) DO UPDATE SET \
    given_name = excluded.given_name, \
    family_name = COALESCE(excluded.family_name, person.family_name), \
    email = COALESCE(excluded.email, person.email), \
    phone = COALESCE(excluded.phone, person.phone), \
    address_line = COALESCE(excluded.address_line, person.address_line), \
    locality = COALESCE(excluded.locality, person.locality), \
    region = excluded.region, \
    postal_code = excluded.postal_code, \
    interest = excluded.interest, \
    offices = COALESCE(excluded.offices, person.offices), \
    timeframe = COALESCE(excluded.timeframe, person.timeframe), \
    involvement = COALESCE(excluded.involvement, person.involvement), \
    involvement_detail = COALESCE(excluded.involvement_detail, person.involvement_detail), \
    birth_year = COALESCE(excluded.birth_year, person.birth_year), \
    consent_email = (person.consent_email OR excluded.consent_email), \
    consent_sms = (person.consent_sms OR excluded.consent_sms), \
    consent_share = (person.consent_share OR excluded.consent_share), \
    source = COALESCE(person.source, excluded.source), \
    submission_count = person.submission_count + excluded.submission_count, \
    updated_at = excluded.updated_at, \
    latitude = COALESCE(excluded.latitude, person.latitude), \
    longitude = COALESCE(excluded.longitude, person.longitude), \
    location_accuracy = COALESCE(excluded.location_accuracy, person.location_accuracy), \
    located_at = COALESCE(excluded.located_at, person.located_at)";

pub fn person_params(p: &PersonUpsert) -> Vec<Value> {
    vec![
        p.person_id.into(),
        p.given_name.clone().into(),
        p.family_name.clone().into(),
        p.email.clone().into(),
        p.phone.clone().into(),
        p.address_line.clone().into(),
        p.locality.clone().into(),
        p.region.clone().into(),
        p.postal_code.clone().into(),
        p.interest.clone().into(),
        p.offices.clone().into(),
        p.timeframe.clone().into(),
        p.involvement.clone().into(),
        p.involvement_detail.clone().into(),
        p.birth_year.into(),
        p.consent_email.into(),
        p.consent_sms.into(),
        p.consent_share.into(),
        p.source.clone().into(),
        p.added_submissions.into(),
        p.at.into(),
        p.at.into(),
        p.latitude.into(),
        p.longitude.into(),
        p.location_accuracy.clone().into(),
        p.located_at.into(),
    ]
}

pub const IDENTITY_INSERT_COLUMNS: &str = "kind, value, person_id, created_at";

pub fn identity_params(i: &IdentityRow) -> Vec<Value> {
    vec![
        i.kind.into(),
        i.value.clone().into(),
        i.person_id.into(),
        i.at.into(),
    ]
}

pub const SUBMISSION_INSERT_COLUMNS: &str = SUBMISSION_COLUMNS;

pub fn submission_params(s: &SubmissionRow) -> Vec<Value> {
    vec![
        s.submission_id.into(),
        s.person_id.into(),
        s.received_at.into(),
        s.channel.into(),
        s.lang.into(),
        s.source.clone().into(),
        s.referrer.clone().into(),
        s.given_name.clone().into(),
        s.family_name.clone().into(),
        s.email.clone().into(),
        s.phone.clone().into(),
        s.address_line.clone().into(),
        s.locality.clone().into(),
        s.region.clone().into(),
        s.postal_code.clone().into(),
        s.interest.clone().into(),
        s.offices.clone().into(),
        s.timeframe.clone().into(),
        s.involvement.clone().into(),
        s.involvement_detail.clone().into(),
        s.birth_year.into(),
        s.consent_email.into(),
        s.consent_sms.into(),
        s.consent_share.into(),
    ]
}

pub const CONSENT_INSERT_COLUMNS: &str =
    "consent_id, person_id, submission_id, channel, granted, text, text_version, lang, recorded_at";

pub fn consent_params(c: &ConsentRow) -> Vec<Value> {
    vec![
        c.consent_id.into(),
        c.person_id.into(),
        c.submission_id.into(),
        c.channel.into(),
        true.into(),
        c.text.clone().into(),
        c.version.clone().into(),
        c.lang.into(),
        c.at.into(),
    ]
}

pub const MERGE_INSERT_COLUMNS: &str =
    "merge_candidate_id, person_id, other_person_id, submission_id, reason, created_at";

pub fn merge_params(m: &MergeCandidateRow) -> Vec<Value> {
    vec![
        m.merge_candidate_id.into(),
        m.person_id.into(),
        m.other_person_id.into(),
        m.submission_id.into(),
        "email_and_phone_point_at_different_people".into(),
        m.at.into(),
    ]
}

/// `$1, $2, … $n`
pub fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
