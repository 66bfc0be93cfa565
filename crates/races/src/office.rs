//! Offices: what an election file calls an office, read into a kind, a district and a seat
//! count, and the district mapped to its Open Civic Data division.

use std::fmt;

use crate::party::slugify;

/// A kind of office. The slugs are a contract (`races competition` prints them).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OfficeKind {
    UsHouse,
    UsSenate,
    Governor,
    LieutenantGovernor,
    AttorneyGeneral,
    SecretaryOfState,
    Treasurer,
    Auditor,
    StateSenate,
    StateHouse,
    /// Local offices and anything else, by slug: `county`, `municipal`, `school_board`, …
    Other(String),
}

impl OfficeKind {
    pub fn slug(&self) -> &str {
        match self {
            OfficeKind::UsHouse => "us_house",
            OfficeKind::UsSenate => "us_senate",
            OfficeKind::Governor => "governor",
            OfficeKind::LieutenantGovernor => "lieutenant_governor",
            OfficeKind::AttorneyGeneral => "attorney_general",
            OfficeKind::SecretaryOfState => "secretary_of_state",
            OfficeKind::Treasurer => "treasurer",
            OfficeKind::Auditor => "auditor",
            OfficeKind::StateSenate => "state_senate",
            OfficeKind::StateHouse => "state_house",
            OfficeKind::Other(s) => s,
        }
    }

    /// Reads a slug (as stored, or as an organizer types it in the native CSV).
    pub fn parse(s: &str) -> Option<OfficeKind> {
        let key = slugify(s);
        Some(match key.as_str() {
            "" => return None,
            "us_house" => OfficeKind::UsHouse,
            "us_senate" => OfficeKind::UsSenate,
            "governor" => OfficeKind::Governor,
            "lieutenant_governor" => OfficeKind::LieutenantGovernor,
            "attorney_general" => OfficeKind::AttorneyGeneral,
            "secretary_of_state" => OfficeKind::SecretaryOfState,
            "treasurer" => OfficeKind::Treasurer,
            "auditor" => OfficeKind::Auditor,
            "state_senate" | "sldu" => OfficeKind::StateSenate,
            "state_house" | "sldl" => OfficeKind::StateHouse,
            other => OfficeKind::Other(other.to_string()),
        })
    }

    /// The order summaries and pages list kinds in: legislatures first, then statewide, then local.
    pub fn rank(&self) -> u8 {
        match self {
            OfficeKind::UsHouse => 0,
            OfficeKind::StateSenate => 1,
            OfficeKind::StateHouse => 2,
            OfficeKind::UsSenate => 3,
            OfficeKind::Governor => 4,
            OfficeKind::LieutenantGovernor => 5,
            OfficeKind::AttorneyGeneral => 6,
            OfficeKind::SecretaryOfState => 7,
            OfficeKind::Treasurer => 8,
            OfficeKind::Auditor => 9,
            OfficeKind::Other(_) => 10,
        }
    }

    /// A heading for pages: `State House`, `U.S. House`, `School Board`.
    pub fn label(&self) -> String {
        match self {
            OfficeKind::UsHouse => "U.S. House".into(),
            OfficeKind::UsSenate => "U.S. Senate".into(),
            OfficeKind::Governor => "Governor".into(),
            OfficeKind::LieutenantGovernor => "Lieutenant Governor".into(),
            OfficeKind::AttorneyGeneral => "Attorney General".into(),
            OfficeKind::SecretaryOfState => "Secretary of State".into(),
            OfficeKind::Treasurer => "Treasurer".into(),
            OfficeKind::Auditor => "Auditor".into(),
            OfficeKind::StateSenate => "State Senate".into(),
            OfficeKind::StateHouse => "State House".into(),
            OfficeKind::Other(s) => crate::party::words_capitalized(s),
        }
    }

    /// Whether the whole state elects it (its division is the state).
    pub fn is_statewide(&self) -> bool {
        matches!(
            self,
            OfficeKind::UsSenate
                | OfficeKind::Governor
                | OfficeKind::LieutenantGovernor
                | OfficeKind::AttorneyGeneral
                | OfficeKind::SecretaryOfState
                | OfficeKind::Treasurer
                | OfficeKind::Auditor
        )
    }
}

impl fmt::Display for OfficeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// An office column read: its kind, the district when the name carries it, the seats when the
/// name says (`(2) Position`), and whether it fills the rest of a term (a special election).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficeName {
    pub kind: OfficeKind,
    pub district: Option<String>,
    pub seats: Option<u32>,
    pub special: bool,
}

/// Why an office is left out of an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfficeSkip {
    /// The presidency: a national race, not one of a state's.
    President,
    /// An office whose division cannot be told from the file.
    Unknown,
}

/// Reads an office column. Michigan puts the district inside the name:
/// `106th District Representative in State Legislature 2 Year Term (1) Position`.
pub fn parse_office(raw: &str) -> Result<OfficeName, OfficeSkip> {
    let mut s = raw.trim().to_lowercase();
    let mut district = None;
    // "<N>th District …"
    if let Some((head, rest)) = s.split_once(" district ") {
        let digits: String = head.chars().take_while(|c| c.is_ascii_digit()).collect();
        let suffix = &head[digits.len()..];
        if !digits.is_empty() && matches!(suffix, "st" | "nd" | "rd" | "th") {
            district = Some(digits);
            s = rest.to_string();
        }
    }
    // "… Files In WAYNE County": where the candidate filed, not part of the office.
    if let Some(i) = s.find(" files in ") {
        s.truncate(i);
    }
    let mut seats = None;
    if let Some(open) = s.rfind('(')
        && let Some(close) = s[open..].find(") position")
    {
        seats = s[open + 1..open + close].trim().parse().ok();
        s.truncate(open);
    }
    let special = s.contains("partial term") || s.contains("unexpired") || s.contains("special");
    let s = s.trim();
    let has = |w: &str| s.contains(w);
    let kind = if has("president") {
        return Err(OfficeSkip::President);
    } else if has("representative in congress")
        || has("u.s. house")
        || has("us house")
        || has("u.s. representative")
        || has("united states representative")
        || s == "congress"
    {
        OfficeKind::UsHouse
    } else if has("u.s. senate")
        || has("us senate")
        || has("united states senator")
        || has("u.s. senator")
    {
        OfficeKind::UsSenate
    } else if has("lieutenant governor") || has("lt. governor") {
        OfficeKind::LieutenantGovernor
    } else if has("governor") {
        OfficeKind::Governor
    } else if has("attorney general") {
        OfficeKind::AttorneyGeneral
    } else if has("secretary of state") {
        OfficeKind::SecretaryOfState
    } else if has("treasurer") {
        OfficeKind::Treasurer
    } else if has("auditor") {
        OfficeKind::Auditor
    } else if has("state senat") {
        OfficeKind::StateSenate
    } else if has("state house")
        || has("state legislature")
        || has("state representative")
        || has("general assembly")
        || has("state assembly")
        || has("house of delegates")
    {
        OfficeKind::StateHouse
    } else {
        return Err(OfficeSkip::Unknown);
    };
    Ok(OfficeName {
        kind,
        district,
        seats,
        special,
    })
}

/// States that elected their one U.S. representative at large (2012–2022 maps).
const AT_LARGE: &[&str] = &["ak", "de", "mt", "nd", "sd", "vt", "wy"];

/// Chambers where some districts elect more than one member; anywhere else a legislative
/// district elects one. (Arizona, Idaho, New Jersey, North and South Dakota and Washington
/// elect several members per district; Maryland, New Hampshire, Vermont and West Virginia mix.)
const MULTI_MEMBER: &[(&str, OfficeKind)] = &[
    ("az", OfficeKind::StateHouse),
    ("id", OfficeKind::StateHouse),
    ("md", OfficeKind::StateHouse),
    ("nh", OfficeKind::StateHouse),
    ("nj", OfficeKind::StateHouse),
    ("nd", OfficeKind::StateHouse),
    ("sd", OfficeKind::StateHouse),
    ("vt", OfficeKind::StateHouse),
    ("vt", OfficeKind::StateSenate),
    ("wa", OfficeKind::StateHouse),
    ("wv", OfficeKind::StateHouse),
];

/// The seats a race fills when the file does not say, where that is known without guessing:
/// one for the U.S. House, statewide offices and single-member chambers; `None` for chambers with
/// multi-member districts (give a seats file) and for local offices.
pub fn default_seats(state: &str, kind: &OfficeKind) -> Option<u32> {
    match kind {
        OfficeKind::UsHouse => Some(1),
        k if k.is_statewide() => Some(1),
        OfficeKind::StateSenate | OfficeKind::StateHouse => {
            let multi = MULTI_MEMBER.iter().any(|(s, k)| *s == state && k == kind);
            (!multi).then_some(1)
        }
        _ => None,
    }
}

/// Vermont's county codes in district names (`CHT-6-2` → `chittenden-6-2`).
const VT_COUNTIES: &[(&str, &str)] = &[
    ("ADD", "addison"),
    ("BEN", "bennington"),
    ("CAL", "caledonia"),
    ("CHT", "chittenden"),
    ("CHI", "chittenden"),
    ("ESS", "essex"),
    ("ESX", "essex"),
    ("FRK", "franklin"),
    ("FRA", "franklin"),
    ("GI", "grand_isle"),
    ("GRI", "grand_isle"),
    ("LAM", "lamoille"),
    ("ORG", "orange"),
    ("ORA", "orange"),
    ("ORL", "orleans"),
    ("RUT", "rutland"),
    ("WAS", "washington"),
    ("WHM", "windham"),
    ("WDH", "windham"),
    ("WND", "windsor"),
    ("WSR", "windsor"),
];

/// Vermont Senate districts whose 2012 names are longer than the county code says.
const VT_SENATE: &[(&str, &str)] = &[("grand_isle", "grand_isle-chittenden")];

/// Errors mapping a district to a division.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DivisionError {
    #[error("a {0} race needs a district")]
    MissingDistrict(String),
    #[error("district {0:?} is not one this importer can map")]
    Unmappable(String),
}

/// The OCD-ID of a race's division: `OH` State House `12` →
/// `ocd-division/country:us/state:oh/sldl:12`; Vermont's `CHT-6-2` →
/// `…/state:vt/sldl:chittenden-6-2`; a statewide office → the state.
pub fn division_id(
    state: &str,
    kind: &OfficeKind,
    district: &str,
) -> Result<String, DivisionError> {
    let state = state.to_ascii_lowercase();
    let base = format!("ocd-division/country:us/state:{state}");
    let district = district.trim();
    if kind.is_statewide() {
        return Ok(base);
    }
    let (layer, code) = match kind {
        OfficeKind::UsHouse => {
            let key = district.to_ascii_lowercase();
            let at_large = matches!(
                key.as_str(),
                "" | "0" | "00" | "al" | "at large" | "at-large"
            );
            if at_large && AT_LARGE.contains(&state.as_str()) {
                return Ok(format!("{base}/cd:at-large"));
            }
            if key.is_empty() {
                return Err(DivisionError::MissingDistrict(kind.slug().into()));
            }
            (
                "cd",
                number(district).ok_or_else(|| DivisionError::Unmappable(district.into()))?,
            )
        }
        // Nebraska's one chamber is its senate.
        OfficeKind::StateHouse if state == "ne" => ("sldu", legislative(&state, district, false)?),
        OfficeKind::StateSenate => ("sldu", legislative(&state, district, true)?),
        OfficeKind::StateHouse => ("sldl", legislative(&state, district, false)?),
        other => return Err(DivisionError::MissingDistrict(other.slug().into())),
    };
    Ok(format!("{base}/{layer}:{code}"))
}

/// `012` → `12`.
fn number(s: &str) -> Option<String> {
    let n: u32 = s.trim().parse().ok()?;
    Some(n.to_string())
}

fn legislative(state: &str, district: &str, senate: bool) -> Result<String, DivisionError> {
    if district.is_empty() {
        return Err(DivisionError::MissingDistrict(
            if senate {
                "state_senate"
            } else {
                "state_house"
            }
            .into(),
        ));
    }
    if let Some(n) = number(district) {
        return Ok(n);
    }
    if state == "vt" {
        let parts: Vec<String> = district
            .split('-')
            .map(|p| {
                let upper = p.trim().to_ascii_uppercase();
                VT_COUNTIES
                    .iter()
                    .find(|(code, _)| *code == upper)
                    .map(|(_, name)| name.to_string())
                    .or_else(|| number(p))
                    .ok_or_else(|| DivisionError::Unmappable(district.into()))
            })
            .collect::<Result<_, _>>()?;
        let id = parts.join("-");
        if senate && let Some((_, long)) = VT_SENATE.iter().find(|(short, _)| *short == id) {
            return Ok(long.to_string());
        }
        return Ok(id);
    }
    // Named districts (Massachusetts): words in lower case joined by `_`, dashes kept.
    let id: Vec<String> = district.split('-').map(slugify).collect();
    if id.iter().any(|p| p.is_empty()) {
        return Err(DivisionError::Unmappable(district.into()));
    }
    Ok(id.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn michigan_names_carry_district_and_seats() {
        let o = parse_office(
            "106th District Representative in State Legislature 2 Year Term (1) Position",
        )
        .unwrap();
        assert_eq!(o.kind, OfficeKind::StateHouse);
        assert_eq!(o.district.as_deref(), Some("106"));
        assert_eq!(o.seats, Some(1));
        assert!(!o.special);
        let o = parse_office("13th District Representative in Congress 2 Year Term (1) Position Files In WAYNE County").unwrap();
        assert_eq!(o.kind, OfficeKind::UsHouse);
        assert_eq!(o.district.as_deref(), Some("13"));
        let o = parse_office("11th District Representative in State Legislature Partial Term Ending 01/01/2017 (1) Position Files In WAYNE County").unwrap();
        assert!(o.special);
        let o =
            parse_office("4th District State Senator Partial Term Ending 01/01/2019 (1) Position")
                .unwrap();
        assert_eq!(o.kind, OfficeKind::StateSenate);
        assert_eq!(
            parse_office("President of the United States 4 Year Term (1) Position"),
            Err(OfficeSkip::President)
        );
    }

    #[test]
    fn plain_names() {
        for (name, kind) in [
            ("State House", OfficeKind::StateHouse),
            ("State Senate", OfficeKind::StateSenate),
            ("U.S. House", OfficeKind::UsHouse),
            ("U.S. Senate", OfficeKind::UsSenate),
            ("Governor", OfficeKind::Governor),
            ("Lieutenant Governor", OfficeKind::LieutenantGovernor),
            ("Attorney General", OfficeKind::AttorneyGeneral),
            ("Auditor of State", OfficeKind::Auditor),
            ("Treasurer of State", OfficeKind::Treasurer),
            ("Secretary of State", OfficeKind::SecretaryOfState),
        ] {
            assert_eq!(parse_office(name).unwrap().kind, kind, "{name}");
        }
        assert_eq!(parse_office("Dog Catcher"), Err(OfficeSkip::Unknown));
    }

    #[test]
    fn districts_map_to_ocd_ids() {
        assert_eq!(
            division_id("OH", &OfficeKind::StateHouse, "12").unwrap(),
            "ocd-division/country:us/state:oh/sldl:12"
        );
        assert_eq!(
            division_id("oh", &OfficeKind::StateSenate, "03").unwrap(),
            "ocd-division/country:us/state:oh/sldu:3"
        );
        assert_eq!(
            division_id("vt", &OfficeKind::StateHouse, "CHT-6-2").unwrap(),
            "ocd-division/country:us/state:vt/sldl:chittenden-6-2"
        );
        assert_eq!(
            division_id("vt", &OfficeKind::StateHouse, "ORG-WAS-ADD").unwrap(),
            "ocd-division/country:us/state:vt/sldl:orange-washington-addison"
        );
        assert_eq!(
            division_id("vt", &OfficeKind::StateHouse, "GRI-CHT").unwrap(),
            "ocd-division/country:us/state:vt/sldl:grand_isle-chittenden"
        );
        assert_eq!(
            division_id("vt", &OfficeKind::StateSenate, "GRI").unwrap(),
            "ocd-division/country:us/state:vt/sldu:grand_isle-chittenden"
        );
        assert_eq!(
            division_id("vt", &OfficeKind::StateSenate, "ESS-ORL").unwrap(),
            "ocd-division/country:us/state:vt/sldu:essex-orleans"
        );
        assert_eq!(
            division_id("vt", &OfficeKind::UsHouse, "").unwrap(),
            "ocd-division/country:us/state:vt/cd:at-large"
        );
        assert_eq!(
            division_id("oh", &OfficeKind::UsHouse, "").unwrap_err(),
            DivisionError::MissingDistrict("us_house".into())
        );
        assert_eq!(
            division_id("ne", &OfficeKind::StateHouse, "7").unwrap(),
            "ocd-division/country:us/state:ne/sldu:7"
        );
        assert_eq!(
            division_id(
                "ma",
                &OfficeKind::StateSenate,
                "Barnstable Dukes and Nantucket"
            )
            .unwrap(),
            "ocd-division/country:us/state:ma/sldu:barnstable_dukes_and_nantucket"
        );
        assert_eq!(
            division_id("oh", &OfficeKind::Governor, "").unwrap(),
            "ocd-division/country:us/state:oh"
        );
        assert!(division_id("vt", &OfficeKind::StateHouse, "XYZ-1").is_err());
    }

    #[test]
    fn seats_known_only_where_the_law_is_one_member() {
        assert_eq!(default_seats("oh", &OfficeKind::StateHouse), Some(1));
        assert_eq!(default_seats("vt", &OfficeKind::StateHouse), None);
        assert_eq!(default_seats("vt", &OfficeKind::StateSenate), None);
        assert_eq!(default_seats("vt", &OfficeKind::UsHouse), Some(1));
        assert_eq!(
            default_seats("oh", &OfficeKind::Other("school_board".into())),
            None
        );
    }
}
