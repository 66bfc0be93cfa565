//! What the shared data's folder layout says about a file: which kind of district it holds, for
//! which state, and which plan (vintage) it belongs to. Every fact about the data that is not in
//! the files themselves lives here.
//!
//! ```text
//! districts/cds/2016/OH-3/shape.geojson      congressional, the 2013 plan (layer us/cd/2013)
//! districts/cds/2016/VT-0/shape.geojson      at-large seat: …/state:vt/cd:at-large
//! districts/cds/2018/PA-7/shape.geojson      Pennsylvania's 2018 plan (layer pa/cd/2018)
//! districts/states/OH/sldl/1.geojson         properties.ocdid; the 2012 plan (layer oh/sldl/2012)
//! districts/states/NE/sldl/1.geojson         Nebraska: the ids say sldu (layer ne/sldu/2012)
//! districts/states/OH/shape.geojson          the state's outline: not a district, skipped
//! ```

use std::path::Path;

use crate::district::{DivisionKind, Vintage};

/// Where a GeoJSON file sits in the shared layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileContext {
    /// `cds/{folder}/{XX-N}/…`: one congressional district; `seat` is `"3"` or `"at-large"`.
    Congressional {
        folder: String,
        state: String,
        seat: String,
    },
    /// `states/{XX}/{sldl|sldu}/…`: state legislative districts; the folder's kind, which the
    /// OCD-IDs inside may contradict (Nebraska).
    Chamber { state: String, kind: DivisionKind },
    /// `states/{XX}/shape.geojson`: a state's outline.
    StateOutline,
    /// Anything else: districts identified by `properties.ocdid`, their plan named after the
    /// file (`stem`).
    Free { stem: String },
}

impl FileContext {
    pub(crate) fn of(path: &Path) -> FileContext {
        let parts: Vec<&str> = path
            .components()
            .filter_map(|c| c.as_os_str().to_str())
            .collect();
        let n = parts.len();
        let at = |back: usize| n.checked_sub(back + 1).map(|i| parts[i]);
        if let (Some(seat_folder), Some(folder), Some("cds")) = (at(1), at(2), at(3))
            && let Some((state, seat)) = parse_seat_folder(seat_folder)
        {
            return FileContext::Congressional {
                folder: folder.to_owned(),
                state,
                seat,
            };
        }
        if let (Some(chamber), Some(state), Some("states")) = (at(1), at(2), at(3))
            && let Some(state) = state_code(state)
            && let Ok(kind @ (DivisionKind::Sldl | DivisionKind::Sldu)) = chamber.parse()
        {
            return FileContext::Chamber { state, kind };
        }
        if let (Some("shape.geojson"), Some(state), Some("states")) = (at(0), at(1), at(2))
            && state_code(state).is_some()
        {
            return FileContext::StateOutline;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("geojson")
            .to_owned();
        FileContext::Free { stem }
    }
}

/// `"OH"` → `"oh"`; `None` unless two ASCII letters.
fn state_code(s: &str) -> Option<String> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())).then(|| s.to_ascii_lowercase())
}

/// `"OH-3"` → `("oh", "3")`, `"VT-0"` → `("vt", "at-large")`; leading zeros are dropped.
fn parse_seat_folder(name: &str) -> Option<(String, String)> {
    let (state, number) = name.split_once('-')?;
    let state = state_code(state)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = number.trim_start_matches('0');
    let seat = if number.is_empty() {
        "at-large".to_owned()
    } else {
        number.to_owned()
    };
    Some((state, seat))
}

/// The OCD-ID of a congressional seat. The District of Columbia's delegate seat is under
/// `district:dc`, every other under `state:xx`.
pub(crate) fn congressional_id(state: &str, seat: &str) -> String {
    let division = if state == "dc" { "district" } else { "state" };
    format!("ocd-division/country:us/{division}:{state}/cd:{seat}")
}

/// The plan a `cds/{folder}` folder holds, and whether its layer is national (`us/cd/…`) or
/// one per state (a mid-decade redraw such as Pennsylvania's).
pub(crate) fn congressional_plan(folder: &str) -> (Vintage, bool) {
    match folder {
        // The plans drawn after the 2010 census, seated with the 113th Congress. The end differs
        // by state (Pennsylvania's on 2019-01-03, most on 2023-01-03), so it is left open.
        "2016" => (
            Vintage {
                map: "2013".into(),
                valid_from: Some("2013-01-03".into()),
                valid_through: None,
            },
            true,
        ),
        // Pennsylvania's court-drawn plan: used in the 2018 election, seated with the 116th
        // Congress, replaced with the 118th.
        "2018" => (
            Vintage {
                map: "2018".into(),
                valid_from: Some("2019-01-03".into()),
                valid_through: Some("2023-01-03".into()),
            },
            false,
        ),
        other => (Vintage::undated(other), false),
    }
}

/// The plan of the shared `states/` folders: the 2012 state legislative maps. Their first day
/// varies by state and chamber and the data does not give it; the last day is known where the
/// OCD catalog retires IDs of the plan (New Hampshire, Vermont, Massachusetts).
pub(crate) fn state_plan(state: &str) -> Vintage {
    let valid_through = match state {
        "nh" => Some("2022-12-06"),
        "vt" | "ma" => Some("2023-01-03"),
        _ => None,
    };
    Vintage {
        map: "2012".into(),
        valid_from: None,
        valid_through: valid_through.map(str::to_owned),
    }
}

/// New Hampshire House districts of the 2012 plan that are floterial: each overlays several
/// ordinary districts to even out representation and has no polygon of its own, so the shared
/// data (like Census TIGER/Line) has none. Listed as `(county, first, last)` number ranges;
/// 161 ordinary districts + these 43 = the plan's 204. The real-data tests check this list
/// against the OCD catalog.
const NH_FLOTERIAL_2012: &[(&str, u32, u32)] = &[
    ("belknap", 8, 9),
    ("carroll", 7, 8),
    ("cheshire", 14, 16),
    ("coos", 7, 7),
    ("grafton", 14, 17),
    ("hillsborough", 38, 45),
    ("merrimack", 25, 29),
    ("rockingham", 30, 37),
    ("strafford", 19, 25),
    ("sullivan", 9, 11),
];

/// The OCD-IDs of New Hampshire's floterial House districts when `map` is the 2012 plan (the
/// shared data's `"2012"`, or a TIGER/Line file of 2012–2021); otherwise none.
pub(crate) fn nh_floterial_ids(map: &str) -> Vec<String> {
    let is_2012_plan = map == "2012"
        || map
            .strip_prefix("tiger")
            .and_then(|y| y.parse::<u32>().ok())
            .is_some_and(|y| (2012..=2021).contains(&y));
    if !is_2012_plan {
        return Vec::new();
    }
    NH_FLOTERIAL_2012
        .iter()
        .flat_map(|&(county, first, last)| {
            (first..=last)
                .map(move |n| format!("ocd-division/country:us/state:nh/sldl:{county}_{n}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_from_paths() {
        assert_eq!(
            FileContext::of(Path::new("/d/districts/cds/2016/VT-0/shape.geojson")),
            FileContext::Congressional {
                folder: "2016".into(),
                state: "vt".into(),
                seat: "at-large".into()
            }
        );
        assert_eq!(
            FileContext::of(Path::new("cds/2018/PA-07/shape.geojson")),
            FileContext::Congressional {
                folder: "2018".into(),
                state: "pa".into(),
                seat: "7".into()
            }
        );
        assert_eq!(
            FileContext::of(Path::new("x/states/NE/sldl/1.geojson")),
            FileContext::Chamber {
                state: "ne".into(),
                kind: DivisionKind::Sldl
            }
        );
        assert_eq!(
            FileContext::of(Path::new("x/states/NE/shape.geojson")),
            FileContext::StateOutline
        );
        assert_eq!(
            FileContext::of(Path::new("elsewhere/ohio-2022.geojson")),
            FileContext::Free {
                stem: "ohio-2022".into()
            }
        );
    }

    #[test]
    fn congressional_ids() {
        assert_eq!(
            congressional_id("vt", "at-large"),
            "ocd-division/country:us/state:vt/cd:at-large"
        );
        assert_eq!(
            congressional_id("dc", "at-large"),
            "ocd-division/country:us/district:dc/cd:at-large"
        );
    }

    #[test]
    fn nh_has_43_floterials_in_2012() {
        let ids = nh_floterial_ids("2012");
        assert_eq!(ids.len(), 43);
        assert_eq!(ids[0], "ocd-division/country:us/state:nh/sldl:belknap_8");
        assert_eq!(nh_floterial_ids("tiger2014").len(), 43);
        assert!(nh_floterial_ids("2022").is_empty());
    }
}
