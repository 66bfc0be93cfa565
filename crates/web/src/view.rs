//! Small formatting helpers for templates.

use downballot_store::model::Millis;

/// `2026-11-23 14:05 UTC`
pub fn datetime(ms: impl std::borrow::Borrow<Millis>) -> String {
    let ms = *ms.borrow();
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// `2026-11-23` for a UTC day number.
pub fn day(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * 86_400)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!("[year]-[month]-[day]"))
                .ok()
        })
        .unwrap_or_default()
}

/// Parses `YYYY-MM-DD` to the millisecond of that UTC midnight.
pub fn parse_day(s: &str) -> Option<Millis> {
    let d = time::Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(d.midnight().assume_utc().unix_timestamp() * 1000)
}

pub fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// Human label for an interest value.
pub fn interest_label(v: &str) -> &'static str {
    match v {
        "run" => "Run for office",
        "volunteer" => "Volunteer",
        "both" => "Both",
        _ => "—",
    }
}

/// `a,b` lists as `a, b` with underscores as spaces.
pub fn list(s: &Option<String>) -> String {
    s.as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|x| !x.is_empty())
        .map(|x| x.replace('_', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A time, or "never".
pub fn opt_datetime(ms: &Option<Millis>) -> String {
    ms.map_or_else(|| "never".to_owned(), datetime)
}

/// A readable name for a division the catalog does not name: its chamber and the last part of
/// its OCD-ID ("State house district chittenden-6-2", "Congressional district at-large").
pub fn division_label(kind: &str, ocd_id: &str) -> String {
    let chamber = match kind {
        "sldl" => "State house district",
        "sldu" => "State senate district",
        "cd" => "Congressional district",
        _ => "District",
    };
    let last = ocd_id
        .rsplit('/')
        .next()
        .and_then(|part| part.split_once(':'))
        .map_or(ocd_id, |(_, v)| v);
    format!("{chamber} {last}")
}

#[cfg(test)]
mod division_label_tests {
    #[test]
    fn names_the_chamber_and_the_district() {
        assert_eq!(
            super::division_label(
                "sldl",
                "ocd-division/country:us/state:vt/sldl:chittenden-6-2"
            ),
            "State house district chittenden-6-2"
        );
        assert_eq!(
            super::division_label("cd", "ocd-division/country:us/state:vt/cd:at-large"),
            "Congressional district at-large"
        );
    }
}

/// A CSV file to download (header row first), never cached.
pub fn csv_download(
    name: &str,
    rows: Vec<Vec<String>>,
) -> Result<axum::response::Response, crate::error::PageError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(&r).map_err(anyhow::Error::from)?;
    }
    let body = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// `39258` as `39,258`.
pub fn thousands(n: &i64) -> String {
    let n = *n;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod thousands_tests {
    #[test]
    fn groups_of_three() {
        assert_eq!(super::thousands(&0), "0");
        assert_eq!(super::thousands(&999), "999");
        assert_eq!(super::thousands(&39258), "39,258");
        assert_eq!(super::thousands(&1234567), "1,234,567");
        assert_eq!(super::thousands(&-1000), "-1,000");
    }
}
