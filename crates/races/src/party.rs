//! Party lines: labels and codes as election files write them, normalized.
//!
//! One candidate may appear on several lines (fusion, cross-filing): Vermont writes
//! `Democratic/Republican`, Pennsylvania's files `DEMREP`. A blank label, `NPA` ("no party
//! affiliation") or `Nonpartisan` is no line at all.

use std::fmt;

/// One party line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    Democratic,
    Republican,
    Libertarian,
    Green,
    Constitution,
    Independent,
    /// Any other party, by its slug (`progressive`, `liberty_union`, `ust`).
    Other(String),
}

impl Party {
    /// The stable slug stored in the database (`democratic`, `liberty_union`).
    pub fn slug(&self) -> &str {
        match self {
            Party::Democratic => "democratic",
            Party::Republican => "republican",
            Party::Libertarian => "libertarian",
            Party::Green => "green",
            Party::Constitution => "constitution",
            Party::Independent => "independent",
            Party::Other(s) => s,
        }
    }

    /// Reads a slug back (the inverse of [`Party::slug`]).
    pub fn from_slug(s: &str) -> Party {
        match s {
            "democratic" => Party::Democratic,
            "republican" => Party::Republican,
            "libertarian" => Party::Libertarian,
            "green" => Party::Green,
            "constitution" => Party::Constitution,
            "independent" => Party::Independent,
            other => Party::Other(other.to_string()),
        }
    }

    /// A short label for pages (`D`, `R`, `Lib`, `Progressive`).
    pub fn abbreviation(&self) -> String {
        match self {
            Party::Democratic => "D".into(),
            Party::Republican => "R".into(),
            Party::Libertarian => "Lib".into(),
            Party::Green => "Grn".into(),
            Party::Constitution => "Con".into(),
            Party::Independent => "Ind".into(),
            Party::Other(s) => title_case(s),
        }
    }

    pub fn is_major(&self) -> bool {
        matches!(self, Party::Democratic | Party::Republican)
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Party::Other(s) => f.write_str(&title_case(s)),
            p => f.write_str(&title_case(p.slug())),
        }
    }
}

fn title_case(slug: &str) -> String {
    // A short code (`ust`, `nlp`) reads as capitals; words get a capital each.
    if slug.len() <= 3 && !slug.contains('_') {
        return slug.to_uppercase();
    }
    words_capitalized(slug)
}

/// `school_board` → `School Board`.
pub(crate) fn words_capitalized(slug: &str) -> String {
    slug.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|first| first.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a party column says about a candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartyLabel {
    /// The lines the candidate stands on (empty: no party).
    Lines(Vec<Party>),
    /// A declared write-in candidate (`WI`, `Write-In`): never counted as a candidate.
    WriteIn,
}

/// Codes as they appear in OpenElections files and state exports, upper case.
const CODES: &[(&str, Party)] = &[
    ("DEM", Party::Democratic),
    ("REP", Party::Republican),
    ("LIB", Party::Libertarian),
    ("GRN", Party::Green),
    ("GRE", Party::Green),
    ("CNST", Party::Constitution),
    ("CON", Party::Constitution),
    ("IND", Party::Independent),
];

/// Single-letter codes (Ohio's 2014 file: `D`, `R`, `L`, `G`, `C`, `I`).
fn letter(code: &str) -> Option<Party> {
    Some(match code {
        "D" => Party::Democratic,
        "R" => Party::Republican,
        "L" => Party::Libertarian,
        "G" => Party::Green,
        "C" => Party::Constitution,
        "I" => Party::Independent,
        _ => return None,
    })
}

fn no_party(key: &str) -> bool {
    matches!(
        key,
        "" | "npa"
            | "nonpartisan"
            | "non_partisan"
            | "no_party"
            | "no_party_affiliation"
            | "none"
            | "unaffiliated"
            | "nop"
    )
}

fn write_in(key: &str) -> bool {
    matches!(key, "wi" | "write_in" | "writein" | "write_ins" | "w_i")
}

/// Lower-case words joined by `_`: `Liberty Union` → `liberty_union`.
pub(crate) fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

fn one_party(part: &str) -> Option<Party> {
    let key = slugify(part);
    if no_party(&key) {
        return None;
    }
    let upper = part.trim().to_ascii_uppercase();
    if let Some(p) = letter(&upper) {
        return Some(p);
    }
    if let Some((_, p)) = CODES.iter().find(|(c, _)| *c == upper) {
        return Some(p.clone());
    }
    Some(match key.as_str() {
        "democratic" | "democrat" | "democratic_party" | "democratic_farmer_labor" | "dfl" => {
            Party::Democratic
        }
        "republican" | "republican_party" | "gop" => Party::Republican,
        "libertarian" | "libertarian_party" => Party::Libertarian,
        "green" | "green_party" => Party::Green,
        "constitution" | "constitution_party" => Party::Constitution,
        "independent" => Party::Independent,
        _ => Party::Other(key),
    })
}

/// Splits run-together codes (`DEMREP`, `REPCNST`) when every piece is a known code.
fn run_together(label: &str) -> Option<Vec<Party>> {
    let upper = label.trim().to_ascii_uppercase();
    if upper.len() < 6 || !upper.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut rest = upper.as_str();
    let mut out = Vec::new();
    'outer: while !rest.is_empty() {
        // Longest code first, so CNST wins over CON.
        let mut codes: Vec<&(&str, Party)> = CODES.iter().collect();
        codes.sort_by_key(|(c, _)| std::cmp::Reverse(c.len()));
        for (code, party) in codes {
            if let Some(r) = rest.strip_prefix(code) {
                out.push(party.clone());
                rest = r;
                continue 'outer;
            }
        }
        return None;
    }
    (out.len() >= 2).then_some(out)
}

/// Reads a party column: a name, a code, several joined by `/`, `,`, `&` or `+`, or codes run
/// together. Lines come back sorted and without repeats.
pub fn parse_party(label: &str) -> PartyLabel {
    let label = label.trim();
    if write_in(&slugify(label)) {
        return PartyLabel::WriteIn;
    }
    let mut lines: Vec<Party> = if let Some(lines) = run_together(label) {
        lines
    } else {
        label
            .split(['/', ',', '&', '+', ';'])
            .filter_map(one_party)
            .collect()
    };
    lines.sort();
    lines.dedup();
    PartyLabel::Lines(lines)
}

/// Whether a "candidate" name is a tally row, not a person: write-ins, scattering, blank,
/// spoiled, over and under votes, totals, registered voters and ballots cast.
pub fn is_pseudo_candidate(name: &str) -> bool {
    let key: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect();
    if key.is_empty() {
        return true;
    }
    const EXACT: &[&str] = &[
        "scattering",
        "scatterings",
        "scattered",
        "blank",
        "blanks",
        "blankvotes",
        "blankballots",
        "spoiled",
        "spoiledballots",
        "spoiledvotes",
        "overvote",
        "overvotes",
        "undervote",
        "undervotes",
        "totalvotes",
        "totalvotescast",
        "totalballotscast",
        "ballotscast",
        "registeredvoters",
        "total",
        "void",
        "voidvotes",
        "rejected",
        "noneoftheabove",
        "uncommittedwritein",
    ];
    EXACT.contains(&key.as_str())
        || key.starts_with("writein")
        || key.ends_with("writein")
        || key.ends_with("writeins")
        || key.starts_with("scatter")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(label: &str) -> Vec<Party> {
        match parse_party(label) {
            PartyLabel::Lines(l) => l,
            PartyLabel::WriteIn => panic!("{label} read as a write-in"),
        }
    }

    #[test]
    fn names_and_codes_normalize() {
        for (label, party) in [
            ("Democratic", Party::Democratic),
            ("DEM", Party::Democratic),
            ("D", Party::Democratic),
            ("Republican", Party::Republican),
            ("REP", Party::Republican),
            ("R", Party::Republican),
            ("Libertarian", Party::Libertarian),
            ("LIB", Party::Libertarian),
            ("Green", Party::Green),
            ("GRN", Party::Green),
            ("Constitution", Party::Constitution),
            ("CNST", Party::Constitution),
            ("Independent", Party::Independent),
            ("IND", Party::Independent),
        ] {
            assert_eq!(lines(label), vec![party], "{label}");
        }
        assert_eq!(
            lines("Liberty Union"),
            vec![Party::Other("liberty_union".into())]
        );
    }

    #[test]
    fn blank_and_no_party_affiliation_are_no_line() {
        assert!(lines("").is_empty());
        assert!(lines("  ").is_empty());
        assert!(lines("NPA").is_empty());
        assert!(lines("Nonpartisan").is_empty());
    }

    #[test]
    fn fusion_tickets_are_two_lines() {
        let dr = vec![Party::Democratic, Party::Republican];
        assert_eq!(lines("Democratic/Republican"), dr);
        assert_eq!(lines("Republican/Democratic"), dr);
        assert_eq!(lines("DEMREP"), dr);
        assert_eq!(lines("REPDEM"), dr);
        assert_eq!(
            lines("REPCNST"),
            vec![Party::Republican, Party::Constitution]
        );
        assert_eq!(
            lines("Democratic/Progressive"),
            vec![Party::Democratic, Party::Other("progressive".into())]
        );
        // Not made of codes: one party of its own.
        assert_eq!(lines("UNITED"), vec![Party::Other("united".into())]);
    }

    #[test]
    fn write_in_party_codes() {
        assert_eq!(parse_party("WI"), PartyLabel::WriteIn);
        assert_eq!(parse_party("Write-In"), PartyLabel::WriteIn);
    }

    #[test]
    fn pseudo_candidates_in_their_spellings() {
        for name in [
            "Write-ins",
            "Write-In",
            "WRITE-IN",
            "Write In",
            "Scattering",
            "Blanks",
            "Spoiled",
            "Over Votes",
            "Overvotes",
            "Under Votes",
            "UNDERVOTES",
            "Total Votes Cast",
            "Total Votes",
            "Registered Voters",
            "Ballots Cast",
            "Jane Doe (Write-In)",
            "",
        ] {
            assert!(is_pseudo_candidate(name), "{name:?}");
        }
        for name in [
            "Amy Sheldon",
            "Totally Real Person",
            "Blanche Overton",
            "Writer Smith",
        ] {
            assert!(!is_pseudo_candidate(name), "{name:?}");
        }
    }

    #[test]
    fn slugs_round_trip() {
        for p in [
            Party::Democratic,
            Party::Republican,
            Party::Green,
            Party::Other("liberty_union".into()),
        ] {
            assert_eq!(Party::from_slug(p.slug()), p);
        }
        assert_eq!(
            Party::Other("liberty_union".into()).to_string(),
            "Liberty Union"
        );
        assert_eq!(Party::Other("ust".into()).to_string(), "UST");
    }
}
