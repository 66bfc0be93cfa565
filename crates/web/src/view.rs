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
