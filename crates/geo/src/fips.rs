//! State FIPS codes (the first two digits of a Census GEOID) and their postal codes.

/// `(FIPS, postal code)` for the states, DC and the territories with a House delegate.
const STATES: &[(&str, &str)] = &[
    ("01", "al"),
    ("02", "ak"),
    ("04", "az"),
    ("05", "ar"),
    ("06", "ca"),
    ("08", "co"),
    ("09", "ct"),
    ("10", "de"),
    ("11", "dc"),
    ("12", "fl"),
    ("13", "ga"),
    ("15", "hi"),
    ("16", "id"),
    ("17", "il"),
    ("18", "in"),
    ("19", "ia"),
    ("20", "ks"),
    ("21", "ky"),
    ("22", "la"),
    ("23", "me"),
    ("24", "md"),
    ("25", "ma"),
    ("26", "mi"),
    ("27", "mn"),
    ("28", "ms"),
    ("29", "mo"),
    ("30", "mt"),
    ("31", "ne"),
    ("32", "nv"),
    ("33", "nh"),
    ("34", "nj"),
    ("35", "nm"),
    ("36", "ny"),
    ("37", "nc"),
    ("38", "nd"),
    ("39", "oh"),
    ("40", "ok"),
    ("41", "or"),
    ("42", "pa"),
    ("44", "ri"),
    ("45", "sc"),
    ("46", "sd"),
    ("47", "tn"),
    ("48", "tx"),
    ("49", "ut"),
    ("50", "vt"),
    ("51", "va"),
    ("53", "wa"),
    ("54", "wv"),
    ("55", "wi"),
    ("56", "wy"),
    ("60", "as"),
    ("66", "gu"),
    ("69", "mp"),
    ("72", "pr"),
    ("78", "vi"),
];

/// `"39"` → `Some("oh")`.
pub(crate) fn postal_code(fips: &str) -> Option<&'static str> {
    STATES.iter().find(|(f, _)| *f == fips).map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_codes() {
        assert_eq!(super::postal_code("50"), Some("vt"));
        assert_eq!(super::postal_code("11"), Some("dc"));
        assert_eq!(super::postal_code("03"), None);
    }
}
