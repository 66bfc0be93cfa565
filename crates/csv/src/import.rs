//! Importing people from CSV.
//!
//! Headers are matched by name, in any order, with the common aliases of other tools
//! (`first_name`, `last_name`, `zip`, `state`, …). Each row is checked exactly like the public
//! form and folded into people by the store exactly like a form sign-up. A row that cannot be
//! imported is never dropped silently: it comes back in [`ImportSummary::rejected`] with its line
//! number and the reason.

use std::io::Read;

use anyhow::{Context, Result};
use downballot_domain::i18n::Lang;
use downballot_domain::signup::{SignupInput, parse_signup};
use downballot_store::Store;
use downballot_store::model::{Channel, ConsentGrant, NewSubmission, now_millis};

/// Rows per transaction: big enough to be fast, small enough that progress moves.
const CHUNK: usize = 5000;

#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Interest to use for rows without one (`run`, `volunteer`, `both`); rows without either
    /// are rejected.
    pub default_interest: Option<String>,
    /// Shown in consent records so an imported consent says where it came from.
    pub file_name: String,
}

/// A row that was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line in the file where the row starts (the header is line 1).
    pub line: u64,
    pub reason: String,
    /// The row's fields as read (empty when they could not be decoded).
    pub fields: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ImportSummary {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub merge_candidates: u64,
    pub rejected: Vec<Rejected>,
    /// The header as read, for writing the rejected-rows file.
    pub header: Vec<String>,
}

/// Which of our fields a CSV column feeds.
fn field_for(header: &str) -> Option<&'static str> {
    let h: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .map(|c| {
            if c == ' ' || c == '-' || c == '.' {
                '_'
            } else {
                c
            }
        })
        .collect();
    Some(match h.as_str() {
        "given_name" | "first_name" | "firstname" | "first" | "fname" => "given_name",
        "family_name" | "last_name" | "lastname" | "last" | "surname" | "lname" => "family_name",
        "email" | "email_address" | "e_mail" | "emailaddress" => "email",
        "phone" | "phone_number" | "mobile" | "mobile_phone" | "cell" | "cell_phone"
        | "phonenumber" => "phone",
        "address_line" | "address" | "address1" | "address_1" | "street" | "street_address" => {
            "address_line"
        }
        "locality" | "city" | "town" => "locality",
        "region" | "state" | "st" | "state_code" => "region",
        "postal_code" | "zip" | "zip_code" | "zipcode" | "postcode" | "zip5" => "postal_code",
        "interest" => "interest",
        "offices" | "office" => "offices",
        "timeframe" => "timeframe",
        "involvement" => "involvement",
        "involvement_detail" => "involvement_detail",
        "birth_year" | "year_of_birth" => "birth_year",
        "consent_email" | "email_opt_in" => "consent_email",
        "consent_sms" | "sms_opt_in" => "consent_sms",
        "consent_share" => "consent_share",
        "source" => "source",
        "referrer" => "referrer",
        _ => return None,
    })
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "on" | "x" | "sí" | "si"
    )
}

fn row_input(
    columns: &[Option<&'static str>],
    fields: &[String],
    options: &ImportOptions,
) -> SignupInput {
    let mut input = SignupInput::default();
    for (col, value) in columns.iter().zip(fields) {
        let Some(col) = col else { continue };
        let v = value.clone();
        let list = || {
            v.split([';', ',', '|'])
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        match *col {
            "given_name" => input.given_name = v.clone(),
            "family_name" => input.family_name = v.clone(),
            "email" => input.email = v.clone(),
            "phone" => input.phone = v.clone(),
            "address_line" => input.address_line = v.clone(),
            "locality" => input.locality = v.clone(),
            "region" => input.region = v.clone(),
            "postal_code" => input.postal_code = v.clone(),
            "interest" => input.interest = v.trim().to_lowercase(),
            "offices" => input.offices = list(),
            "timeframe" => input.timeframe = v.trim().to_lowercase(),
            "involvement" => input.involvement = list(),
            "involvement_detail" => input.involvement_detail = v.clone(),
            "birth_year" => input.birth_year = v.clone(),
            "consent_email" => input.consent_email = truthy(&v),
            "consent_sms" => input.consent_sms = truthy(&v),
            "consent_share" => input.consent_share = truthy(&v),
            "source" => input.source = v.clone(),
            "referrer" => input.referrer = v.clone(),
            _ => {}
        }
    }
    if input.interest.trim().is_empty()
        && let Some(d) = &options.default_interest
    {
        input.interest = d.clone();
    }
    input
}

fn grants(input: &SignupInput, file: &str) -> Vec<ConsentGrant> {
    [
        ("email", input.consent_email),
        ("sms", input.consent_sms),
        ("share", input.consent_share),
    ]
    .into_iter()
    .filter(|(_, given)| *given)
    .map(|(channel, _)| ConsentGrant {
        channel,
        text: format!("Imported from {file}: column consent_{channel} was yes"),
        version: "import".into(),
    })
    .collect()
}

fn current_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

/// Imports every row of `reader` into `store`. `progress` is called with the bytes read so far.
pub async fn import<R: Read>(
    store: &Store,
    reader: R,
    options: &ImportOptions,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let header: Vec<String> = rdr
        .byte_headers()
        .context("reading the CSV header")?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let columns: Vec<Option<&'static str>> = header.iter().map(|h| field_for(h)).collect();
    if !columns.contains(&Some("postal_code")) {
        anyhow::bail!(
            "the CSV header has no ZIP column (postal_code or zip); header was: {}",
            header.join(",")
        );
    }
    if !columns.contains(&Some("email")) && !columns.contains(&Some("phone")) {
        anyhow::bail!("the CSV header has neither an email nor a phone column");
    }
    let mut summary = ImportSummary {
        header: header.clone(),
        ..Default::default()
    };
    let year = current_year();
    let mut chunk: Vec<NewSubmission> = Vec::with_capacity(CHUNK);
    // Parsing and checking rows runs here while the writer commits the previous chunk on its own
    // thread: at most two chunks in flight keeps both cores busy and memory bounded.
    let mut in_flight: std::collections::VecDeque<InFlight> = std::collections::VecDeque::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = rdr.position().line() + 1;
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                summary.rows += 1;
                let line = e.position().map_or(line, |p| p.line());
                summary.rejected.push(Rejected {
                    line,
                    reason: format!("unreadable CSV row: {e}"),
                    fields: Vec::new(),
                });
                continue;
            }
        }
        summary.rows += 1;
        let line = record.position().map_or(line, |p| p.line());
        let fields: Result<Vec<String>, _> = record
            .iter()
            .map(|f| std::str::from_utf8(f).map(str::to_owned))
            .collect();
        let Ok(fields) = fields else {
            summary.rejected.push(Rejected {
                line,
                reason: "the row is not valid UTF-8 text".into(),
                fields: record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            });
            continue;
        };
        if fields.len() != header.len() {
            summary.rejected.push(Rejected {
                line,
                reason: format!(
                    "expected {} fields like the header, found {}",
                    header.len(),
                    fields.len()
                ),
                fields,
            });
            continue;
        }
        let input = row_input(&columns, &fields, options);
        match parse_signup(&input, year) {
            Ok(signup) => chunk.push(NewSubmission {
                signup,
                lang: "en",
                channel: Channel::Import,
                received_at: now_millis(),
                consents: grants(&input, &options.file_name),
                location: None,
            }),
            Err(errors) => {
                let mut reason = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message(Lang::En)))
                    .collect::<Vec<_>>()
                    .join("; ");
                if input.interest.is_empty() && options.default_interest.is_none() {
                    reason.push_str(
                        " (no interest column: pass --default-interest run|volunteer|both)",
                    );
                }
                summary.rejected.push(Rejected {
                    line,
                    reason,
                    fields,
                });
            }
        }
        if chunk.len() >= CHUNK {
            let items = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            let store = store.clone();
            in_flight.push_back(tokio::spawn(async move { store.submit_many(items).await }));
            if in_flight.len() >= 2
                && let Some(done) = in_flight.pop_front()
            {
                count(done.await, &mut summary)?;
                progress(rdr.position().byte());
            }
        }
    }
    if !chunk.is_empty() {
        let store = store.clone();
        in_flight.push_back(tokio::spawn(async move { store.submit_many(chunk).await }));
    }
    while let Some(done) = in_flight.pop_front() {
        count(done.await, &mut summary)?;
    }
    progress(rdr.position().byte());
    Ok(summary)
}

type Outcomes = Result<Vec<downballot_store::model::SubmitOutcome>, downballot_store::StoreError>;
type InFlight = tokio::task::JoinHandle<Outcomes>;

fn count(
    done: Result<Outcomes, tokio::task::JoinError>,
    summary: &mut ImportSummary,
) -> Result<()> {
    let outcomes = done
        .context("import task failed")?
        .context("writing imported rows")?;
    for o in outcomes {
        if o.created {
            summary.created += 1;
        } else {
            summary.updated += 1;
        }
        if o.merge_candidate {
            summary.merge_candidates += 1;
        }
    }
    Ok(())
}

/// Writes the rejected rows as CSV: `line,reason,` then the original columns.
pub fn write_rejected<W: std::io::Write>(summary: &ImportSummary, out: W) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut head = vec!["line".to_owned(), "reason".to_owned()];
    head.extend(summary.header.iter().cloned());
    w.write_record(&head)?;
    for r in &summary.rejected {
        let mut rec = vec![r.line.to_string(), r.reason.clone()];
        rec.extend(r.fields.iter().cloned());
        // Keep the file rectangular even for short rows.
        rec.resize(head.len().max(rec.len()), String::new());
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_headers_map_to_our_fields() {
        assert_eq!(field_for("First Name"), Some("given_name"));
        assert_eq!(field_for("\u{feff}email"), Some("email"));
        assert_eq!(field_for("ZIP"), Some("postal_code"));
        assert_eq!(field_for("state"), Some("region"));
        assert_eq!(field_for("favourite colour"), None);
    }
}
