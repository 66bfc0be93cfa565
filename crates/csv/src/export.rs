//! The export format: our own header, which the importer also understands.

use downballot_store::model::Person;

/// Columns of `people export`, in order.
pub const EXPORT_HEADER: [&str; 22] = [
    "person_id",
    "given_name",
    "family_name",
    "email",
    "phone",
    "address_line",
    "locality",
    "region",
    "postal_code",
    "interest",
    "offices",
    "timeframe",
    "involvement",
    "involvement_detail",
    "birth_year",
    "consent_email",
    "consent_sms",
    "consent_share",
    "source",
    "submission_count",
    "created_at",
    "updated_at",
];

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// One person as a CSV record, matching [`EXPORT_HEADER`].
pub fn person_record(p: &Person) -> Vec<String> {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let b = |v: bool| if v { "true" } else { "false" }.to_owned();
    vec![
        p.person_id.to_string(),
        p.given_name.clone(),
        o(&p.family_name),
        o(&p.email),
        o(&p.phone),
        o(&p.address_line),
        o(&p.locality),
        p.region.clone(),
        p.postal_code.clone(),
        p.interest.clone(),
        o(&p.offices).replace(',', ";"),
        o(&p.timeframe),
        o(&p.involvement).replace(',', ";"),
        o(&p.involvement_detail),
        p.birth_year.map(|y| y.to_string()).unwrap_or_default(),
        b(p.consent_email),
        b(p.consent_sms),
        b(p.consent_share),
        o(&p.source),
        p.submission_count.to_string(),
        rfc3339(p.created_at),
        rfc3339(p.updated_at),
    ]
}

/// Encodes one record as a CSV line (with its newline), for streaming responses.
pub fn csv_line<I, S>(fields: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(fields);
    w.into_inner().unwrap_or_default()
}
