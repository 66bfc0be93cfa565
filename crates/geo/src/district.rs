//! The model: kinds of district, map vintages, districts and the layers that group them.

use std::fmt;
use std::str::FromStr;

use anyhow::{Context, bail};

/// The kinds of district this crate indexes, named as in the last segment of an OCD-ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DivisionKind {
    /// A US congressional district (`cd:3`, `cd:at-large`).
    Cd,
    /// A state legislature's lower chamber (house, assembly) district.
    Sldl,
    /// A state legislature's upper chamber (senate) district; Nebraska's unicameral legislature
    /// uses these too.
    Sldu,
}

impl DivisionKind {
    /// `"cd"`, `"sldl"` or `"sldu"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DivisionKind::Cd => "cd",
            DivisionKind::Sldl => "sldl",
            DivisionKind::Sldu => "sldu",
        }
    }

    /// The kind named by an OCD-ID's last segment (`…/state:ne/sldu:1` → `Sldu`); `None` for
    /// any other division (a county, a state) or text that is not an OCD-ID.
    pub fn from_ocd_id(ocd_id: &str) -> Option<DivisionKind> {
        let last = ocd_id.rsplit('/').next()?;
        let (kind, value) = last.split_once(':')?;
        if value.is_empty() {
            return None;
        }
        kind.parse().ok()
    }
}

impl FromStr for DivisionKind {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<DivisionKind> {
        Ok(match s {
            "cd" => DivisionKind::Cd,
            "sldl" => DivisionKind::Sldl,
            "sldu" => DivisionKind::Sldu,
            other => bail!("{other:?} is not a district kind (cd, sldl, sldu)"),
        })
    }
}

impl fmt::Display for DivisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which districting plan a layer's boundaries come from, and when that plan was in force.
///
/// Dates are `YYYY-MM-DD` in the OCD catalog's convention: `valid_from` is the first day the
/// plan's members held office, `valid_through` the last. `None` means the data does not say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Vintage {
    /// The plan's name: the year it was drawn (`"2012"` for the state maps, `"2013"` for the
    /// congressional map of the 113th–115th Congresses, `"2018"` for Pennsylvania's court-drawn
    /// map), `"cd114"` for a TIGER/Line file of the 114th Congress's districts, `"tiger2014"` for
    /// other TIGER/Line files, or a file's stem for GeoJSON outside the shared layout.
    pub map: String,
    /// First day in force, when known.
    pub valid_from: Option<String>,
    /// Last day in force, when known.
    pub valid_through: Option<String>,
}

impl Vintage {
    /// A vintage with no dates.
    pub fn undated(map: impl Into<String>) -> Vintage {
        Vintage {
            map: map.into(),
            valid_from: None,
            valid_through: None,
        }
    }

    /// Whether the plan may have been in force on some day of `[from, through]` (open ends
    /// where `None`). Dates compare as text, which is right for `YYYY-MM-DD`.
    pub fn overlaps(&self, from: Option<&str>, through: Option<&str>) -> bool {
        let starts_in_time = match (from, self.valid_through.as_deref()) {
            (Some(from), Some(end)) => end >= from,
            _ => true,
        };
        let ends_in_time = match (through, self.valid_from.as_deref()) {
            (Some(through), Some(start)) => start <= through,
            _ => true,
        };
        starts_in_time && ends_in_time
    }
}

/// One district: its OCD-ID and its boundary.
#[derive(Clone, Debug, PartialEq)]
pub struct District {
    /// E.g. `ocd-division/country:us/state:vt/sldl:chittenden-6-2`.
    pub ocd_id: String,
    /// The name the source gives (`"Chittenden-6-2"`, `"Eighteenth Essex"`, `"Ohio 3rd"`); see
    /// [`crate::LoadReport::name_from_catalog`] for the catalog's fuller names.
    pub name: Option<String>,
    /// From the OCD-ID, never from the folder the file sat in (Nebraska's `sldl/` folders hold
    /// `sldu` districts).
    pub kind: DivisionKind,
    /// Two-letter lowercase postal code, from the OCD-ID (`"oh"`; `"dc"` for the District of
    /// Columbia).
    pub state: String,
    /// Longitude/latitude (x = longitude), WGS 84 / NAD 83 degrees.
    pub geometry: geo::MultiPolygon<f64>,
}

/// The districts of one kind drawn by one plan over one area, e.g. `oh/sldl/2012`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// `{scope}/{kind}/{map}`: `oh/sldl/2012`, `us/cd/2013`, `pa/cd/2018`. Scope is a state's
    /// postal code, or `us` for a national layer.
    pub id: String,
    pub kind: DivisionKind,
    pub vintage: Vintage,
    /// Sorted by OCD-ID.
    pub districts: Vec<District>,
}

/// What an OCD-ID of a district says: its kind and state. The one place that checks the syntax.
pub(crate) struct DistrictId {
    pub kind: DivisionKind,
    pub state: String,
}

/// Checks that `id` is a US district OCD-ID (`ocd-division/country:us/…/cd|sldl|sldu:value`,
/// lowercase segments of the characters the OCD spec allows) and returns its kind and state.
pub(crate) fn parse_district_id(id: &str) -> anyhow::Result<DistrictId> {
    let rest = id
        .strip_prefix("ocd-division/country:us/")
        .with_context(|| format!("{id:?} is not a US OCD-ID (ocd-division/country:us/…)"))?;
    let mut state = None;
    for segment in rest.split('/') {
        let (kind, value) = segment
            .split_once(':')
            .with_context(|| format!("{id:?}: segment {segment:?} is not type:value"))?;
        let allowed = |c: char| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.' | '~')
        };
        if kind.is_empty() || value.is_empty() || !kind.chars().all(allowed) {
            bail!("{id:?}: segment {segment:?} is not type:value");
        }
        if !value.chars().all(allowed) {
            bail!("{id:?}: {value:?} has characters an OCD-ID may not contain");
        }
        if matches!(kind, "state" | "district" | "territory") && state.is_none() {
            state = Some(value);
        }
    }
    let kind = DivisionKind::from_ocd_id(id)
        .with_context(|| format!("{id:?} is not a congressional or state legislative district"))?;
    let state = state.with_context(|| format!("{id:?} names no state"))?;
    if state.len() != 2 {
        bail!("{id:?}: {state:?} is not a two-letter state code");
    }
    Ok(DistrictId {
        kind,
        state: state.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_comes_from_the_last_segment() {
        assert_eq!(
            DivisionKind::from_ocd_id("ocd-division/country:us/state:ne/sldu:1"),
            Some(DivisionKind::Sldu)
        );
        assert_eq!(
            DivisionKind::from_ocd_id("ocd-division/country:us/state:vt/cd:at-large"),
            Some(DivisionKind::Cd)
        );
        assert_eq!(
            DivisionKind::from_ocd_id("ocd-division/country:us/state:vt"),
            None
        );
        assert_eq!(DivisionKind::from_ocd_id("sldl:"), None);
        for kind in [DivisionKind::Cd, DivisionKind::Sldl, DivisionKind::Sldu] {
            assert_eq!(kind.as_str().parse::<DivisionKind>().unwrap(), kind);
        }
    }

    #[test]
    fn district_ids_are_checked() {
        let id = parse_district_id("ocd-division/country:us/state:ma/sldl:18th_essex").unwrap();
        assert_eq!((id.kind, id.state.as_str()), (DivisionKind::Sldl, "ma"));
        let dc = parse_district_id("ocd-division/country:us/district:dc/cd:at-large").unwrap();
        assert_eq!(dc.state, "dc");
        for bad in [
            "ocd-division/country:us/state:oh",
            "ocd-division/country:ca/province:on/ed:1",
            "ocd-division/country:us/state:OH/sldl:1",
            "ocd-division/country:us/state:oh/sldl:1 ",
            "ocd-division/country:us/sldl:1",
            "ocd-division/country:us/state:ohio/sldl:1",
        ] {
            assert!(parse_district_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vintages_overlap_on_open_ends() {
        let v = Vintage {
            map: "2012".into(),
            valid_from: None,
            valid_through: Some("2023-01-03".into()),
        };
        assert!(v.overlaps(None, None));
        assert!(v.overlaps(Some("2023-01-03"), None));
        assert!(!v.overlaps(Some("2023-01-04"), None));
        assert!(v.overlaps(None, Some("2000-01-01")));
    }
}
