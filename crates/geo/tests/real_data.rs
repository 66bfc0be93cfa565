//! The crate against the real shared data (`DOWNBALLOT_DATA`, default `../shared/data` beside
//! the workspace). Each test prints a line and passes when the data is not there.
//!
//! Expected districts for the named places were read from PostGIS (`ST_Covers` over the same
//! GeoJSON), not from this crate.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use downballot_geo::catalog::Catalog;
use downballot_geo::{DivisionKind, Index, LoadReport, load_paths};

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("DOWNBALLOT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.join("districts").is_dir() {
        Some(dir)
    } else {
        println!(
            "skipped: no reference data at {} (set DOWNBALLOT_DATA)",
            dir.display()
        );
        None
    }
}

struct Loaded {
    report: LoadReport,
    index: Index,
    catalog: Catalog,
}

/// Loaded once for all tests of this binary.
fn loaded() -> Option<&'static Loaded> {
    static LOADED: OnceLock<Option<Loaded>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let dir = data_dir()?;
            let started = Instant::now();
            let report = load_paths(&[dir.join("districts")]).expect("loading the districts");
            let index = Index::build(report.layers.clone());
            println!(
                "loaded {} districts, {} vertices, and built the index in {:?}",
                report.features(),
                report.vertices(),
                started.elapsed()
            );
            let catalog = Catalog::load_dir(&dir.join("ocd")).expect("loading the OCD catalog");
            Some(Loaded {
                report,
                index,
                catalog,
            })
        })
        .as_ref()
}

fn ids_at(index: &Index, lat: f64, lon: f64) -> Vec<(String, String)> {
    index
        .lookup(lat, lon)
        .iter()
        .map(|h| (h.ocd_id.to_owned(), h.layer.to_owned()))
        .collect()
}

#[test]
fn every_layer_has_its_districts() {
    let Some(data) = loaded() else { return };
    let counts: Vec<(&str, usize)> = data
        .report
        .layers
        .iter()
        .map(|l| (l.id.as_str(), l.districts.len()))
        .collect();
    assert_eq!(
        counts,
        [
            ("ma/sldl/2012", 160),
            ("ma/sldu/2012", 40),
            ("mi/sldl/2012", 110),
            ("mi/sldu/2012", 38),
            ("ne/sldu/2012", 49),
            ("nh/sldl/2012", 161),
            ("nh/sldu/2012", 24),
            ("oh/sldl/2012", 99),
            ("oh/sldu/2012", 33),
            ("pa/cd/2018", 18),
            ("pa/sldl/2012", 203),
            ("pa/sldu/2012", 50),
            ("us/cd/2013", 435),
            // Vermont elects 150 members from 104 House districts.
            ("vt/sldl/2012", 104),
            ("vt/sldu/2012", 13),
        ]
    );
    assert_eq!(data.report.features(), 1537);
    assert_eq!(data.index.district_count(), 1537);
    let cd_2013 = data
        .index
        .layers()
        .iter()
        .find(|l| l.id == "us/cd/2013")
        .unwrap();
    assert_eq!(cd_2013.vintage.map, "2013");
    assert_eq!(cd_2013.kind, DivisionKind::Cd);
}

#[test]
fn burlington_vt_05401_is_in_chittenden_6_2() {
    let Some(data) = loaded() else { return };
    let zip = zipcodes::matching("05401", None).expect("zipcodes knows 05401");
    let (lat, lon): (f64, f64) = (zip[0].lat.parse().unwrap(), zip[0].long.parse().unwrap());
    assert_eq!((lat, lon), (44.484, -73.2199));
    let hits = data.index.lookup(lat, lon);
    let house: Vec<_> = hits
        .iter()
        .filter(|h| h.kind == DivisionKind::Sldl)
        .collect();
    assert_eq!(house.len(), 1);
    assert_eq!(
        house[0].ocd_id,
        "ocd-division/country:us/state:vt/sldl:chittenden-6-2"
    );
    assert_eq!(house[0].layer, "vt/sldl/2012");
    assert_eq!(house[0].vintage.map, "2012");
    assert_eq!(house[0].name, Some("Chittenden-6-2"));
    assert_eq!(
        ids_at(&data.index, lat, lon),
        [
            ("ocd-division/country:us/state:vt/cd:at-large", "us/cd/2013"),
            (
                "ocd-division/country:us/state:vt/sldl:chittenden-6-2",
                "vt/sldl/2012"
            ),
            (
                "ocd-division/country:us/state:vt/sldu:chittenden",
                "vt/sldu/2012"
            ),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn ohio_places_match_postgis() {
    let Some(data) = loaded() else { return };
    // (place, lat, lon, cd on the 2013 map, sldl, sldu)
    for (place, lat, lon, cd, sldl, sldu) in [
        ("Columbus", 39.9612, -82.9988, "3", "18", "15"),
        ("Cleveland", 41.4993, -81.6944, "11", "10", "21"),
        ("Cincinnati", 39.1031, -84.5120, "1", "32", "9"),
        ("Toledo", 41.6528, -83.5379, "9", "44", "11"),
        ("Dayton", 39.7589, -84.1916, "10", "39", "5"),
        ("Akron", 41.0814, -81.5190, "11", "34", "28"),
    ] {
        let oh = "ocd-division/country:us/state:oh";
        assert_eq!(
            ids_at(&data.index, lat, lon),
            [
                (format!("{oh}/cd:{cd}"), "us/cd/2013".to_owned()),
                (format!("{oh}/sldl:{sldl}"), "oh/sldl/2012".to_owned()),
                (format!("{oh}/sldu:{sldu}"), "oh/sldu/2012".to_owned()),
            ],
            "{place}"
        );
    }
}

#[test]
fn pennsylvania_answers_from_both_congressional_maps() {
    let Some(data) = loaded() else { return };
    let hits = data.index.lookup(40.2732, -76.8867); // Harrisburg
    let cds: Vec<(&str, &str, &str)> = hits
        .iter()
        .filter(|h| h.kind == DivisionKind::Cd)
        .map(|h| (h.ocd_id, h.layer, h.vintage.map.as_str()))
        .collect();
    assert_eq!(
        cds,
        [
            (
                "ocd-division/country:us/state:pa/cd:10",
                "pa/cd/2018",
                "2018"
            ),
            (
                "ocd-division/country:us/state:pa/cd:4",
                "us/cd/2013",
                "2013"
            ),
        ]
    );
    assert_eq!(hits.len(), 4, "plus one house and one senate district");
}

#[test]
fn nebraska_districts_are_senate_districts() {
    let Some(data) = loaded() else { return };
    let ne = data
        .report
        .layers
        .iter()
        .find(|l| l.id.starts_with("ne/"))
        .unwrap();
    assert_eq!(ne.id, "ne/sldu/2012");
    assert!(ne.districts.iter().all(|d| {
        d.kind == DivisionKind::Sldu
            && d.ocd_id
                .starts_with("ocd-division/country:us/state:ne/sldu:")
    }));
    assert_eq!(
        ids_at(&data.index, 40.8136, -96.7026), // Lincoln
        [
            ("ocd-division/country:us/state:ne/cd:1", "us/cd/2013"),
            ("ocd-division/country:us/state:ne/sldu:27", "ne/sldu/2012"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn new_hampshire_floterials_are_reported_and_match_the_catalog() {
    let Some(data) = loaded() else { return };
    let floterial: Vec<&String> = data
        .report
        .warnings
        .iter()
        .filter(|w| w.contains("floterial"))
        .collect();
    assert_eq!(floterial.len(), 43);
    // Nothing else in the shared data is odd.
    assert_eq!(
        data.report.warnings.len(),
        43,
        "{:#?}",
        data.report.warnings
    );
    // The built-in list agrees with the catalog: the catalog's NH House districts of the 2012
    // plan that have no polygon are exactly these. (Vermont and Massachusetts also have
    // catalog IDs without polygons: districts of their 2022 plans that the catalog leaves
    // undated, so they cannot be told from the 2012 plan's.)
    let mut from_catalog: Vec<&str> = data
        .report
        .missing_polygons(&data.catalog)
        .iter()
        .map(|d| d.id.as_str())
        .filter(|id| id.contains("/state:nh/"))
        .collect();
    from_catalog.sort_unstable();
    let mut reported: Vec<&str> = data
        .report
        .without_polygon
        .iter()
        .map(String::as_str)
        .collect();
    reported.sort_unstable();
    assert_eq!(from_catalog, reported);
}

#[test]
fn massachusetts_districts_have_word_names() {
    let Some(data) = loaded() else { return };
    let hits = data.index.lookup(42.3601, -71.0589); // Boston
    let found: Vec<(&str, Option<&str>)> = hits.iter().map(|h| (h.ocd_id, h.name)).collect();
    assert_eq!(
        found,
        [
            (
                "ocd-division/country:us/state:ma/cd:8",
                Some("Massachusetts 8th")
            ),
            (
                "ocd-division/country:us/state:ma/sldl:3rd_suffolk",
                Some("Third Suffolk")
            ),
            (
                "ocd-division/country:us/state:ma/sldu:1st_suffolk_and_middlesex",
                Some("First Suffolk and Middlesex")
            ),
        ]
    );
    let ma = data
        .report
        .layers
        .iter()
        .find(|l| l.id == "ma/sldl/2012")
        .unwrap();
    assert!(
        ma.districts
            .iter()
            .any(|d| d.ocd_id.ends_with("sldl:barnstable_dukes_and_nantucket"))
    );
}

#[test]
fn every_loaded_id_is_in_the_catalog_with_a_name() {
    let Some(data) = loaded() else { return };
    assert_eq!(
        data.report.ids_not_in_catalog(&data.catalog),
        Vec::<&str>::new()
    );
    let mut named = data.report.clone();
    named.name_from_catalog(&data.catalog);
    let names: Vec<&str> = named
        .layers
        .iter()
        .flat_map(|l| &l.districts)
        .filter(|d| {
            d.ocd_id == "ocd-division/country:us/state:vt/sldl:chittenden-6-2"
                || d.ocd_id == "ocd-division/country:us/state:oh/cd:3"
        })
        .map(|d| d.name.as_deref().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Ohio's 3rd congressional district",
            "Vermont Chittenden-6-2 State House district"
        ]
    );
}
