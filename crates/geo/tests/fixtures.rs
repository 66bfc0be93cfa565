//! The crate's behaviour on small hand-made fixtures (`tests/fixtures/`): runs anywhere.

use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};

use downballot_geo::catalog::{Catalog, Crosswalk};
use downballot_geo::{
    DivisionKind, Index, LoadReport, Loader, geometry_from_geojson, geometry_to_geojson, load_paths,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> LoadReport {
    load_paths(&[fixture(name)]).unwrap()
}

/// `(ocd_id, layer)` of every hit.
fn hits(index: &Index, lat: f64, lon: f64) -> Vec<(String, String)> {
    index
        .lookup(lat, lon)
        .iter()
        .map(|h| (h.ocd_id.to_owned(), h.layer.to_owned()))
        .collect()
}

fn ids(index: &Index, lat: f64, lon: f64) -> Vec<String> {
    hits(index, lat, lon)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

const ZZ: &str = "ocd-division/country:us/state:zz/";

#[test]
fn a_hole_is_outside_and_its_edge_inside() {
    let report = load("square_with_hole.geojson");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.features(), 1);
    assert_eq!(report.vertices(), 10);
    let index = Index::build(report.layers);
    let hole = format!("{ZZ}sldl:hole");
    assert_eq!(ids(&index, 1.0, 1.0), [hole.as_str()]);
    assert!(ids(&index, 5.0, 5.0).is_empty(), "inside the hole");
    assert_eq!(ids(&index, 5.0, 3.0), [hole.as_str()], "on the hole's edge");
    assert_eq!(ids(&index, 0.0, 0.0), [hole], "on the outer corner");
    assert!(ids(&index, 11.0, 5.0).is_empty());
}

#[test]
fn every_part_of_a_multipolygon_counts() {
    let index = Index::build(load("multipolygon.geojson").layers);
    let islands = format!("{ZZ}sldu:islands");
    assert_eq!(ids(&index, 0.5, 0.5), [islands.as_str()]);
    assert_eq!(ids(&index, 5.5, 5.5), [islands]);
    assert!(ids(&index, 3.0, 3.0).is_empty(), "between the islands");
    assert_eq!(index.polygon_count(), 2);
}

#[test]
fn a_point_on_a_shared_border_is_in_both_districts() {
    let report = load("shared_border.geojson");
    assert_eq!(report.layers.len(), 1);
    assert_eq!(report.layers[0].id, "zz/sldl/shared_border");
    let index = Index::build(report.layers);
    let (east, west) = (format!("{ZZ}sldl:east"), format!("{ZZ}sldl:west"));
    // On the border, including the vertex only one side has: both, sorted by OCD-ID.
    for lat in [0.0, 0.25, 0.5, 1.0] {
        assert_eq!(
            ids(&index, lat, 1.0),
            [east.clone(), west.clone()],
            "lat {lat}"
        );
    }
    assert_eq!(ids(&index, 0.5, 1.0 + 1e-12), [east]);
    assert_eq!(ids(&index, 0.5, 1.0 - 1e-12), [west]);
    let hit = &index.lookup(0.5, 0.5)[0];
    assert_eq!(hit.name, Some("West"));
    assert_eq!(hit.kind, DivisionKind::Sldl);
    assert_eq!(hit.vintage.map, "shared_border");
}

#[test]
fn a_feature_without_geometry_is_reported_not_fatal() {
    let report = load("null_geometry.geojson");
    assert_eq!(report.features(), 1);
    assert_eq!(report.without_polygon, [format!("{ZZ}sldl:ghost")]);
    assert_eq!(report.warnings.len(), 2, "{:#?}", report.warnings);
    assert!(report.warnings[0].contains("sldl:ghost has no geometry"));
    assert!(report.warnings[1].contains("no properties.ocdid"));
}

#[test]
fn the_shared_layout() {
    let report = load("layout/districts");
    let layer_ids: Vec<&str> = report.layers.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        layer_ids,
        [
            "ma/sldl/2012",
            "ne/sldu/2012",
            "nh/sldl/2012",
            "us/cd/2013",
            "yy/cd/2018",
            "zz/sldl/2012",
            "zz/sldu/2012"
        ],
        "the outline states/ZZ/shape.geojson is skipped"
    );
    let layer = |id: &str| report.layers.iter().find(|l| l.id == id).unwrap();

    // Congressional folders XX-N, at-large XX-0; names from `District`.
    let cds = layer("us/cd/2013");
    let cd_ids: Vec<&str> = cds.districts.iter().map(|d| d.ocd_id.as_str()).collect();
    assert_eq!(
        cd_ids,
        [
            "ocd-division/country:us/state:yy/cd:1",
            "ocd-division/country:us/state:yy/cd:2",
            "ocd-division/country:us/state:zz/cd:at-large",
        ]
    );
    assert_eq!(cds.districts[2].name.as_deref(), Some("Zedland At-Large"));
    assert_eq!(cds.vintage.valid_from.as_deref(), Some("2013-01-03"));
    let redraw = &layer("yy/cd/2018").vintage;
    assert_eq!(redraw.map, "2018");

    // Nebraska: sldl/ folder, sldu IDs, and no warning for it.
    let ne = layer("ne/sldu/2012");
    assert_eq!(ne.kind, DivisionKind::Sldu);
    assert!(ne.districts.iter().all(|d| d.kind == DivisionKind::Sldu));
    assert!(report.warnings.iter().all(|w| !w.contains("state:ne")));

    // New Hampshire: the 43 floterial districts of the 2012 plan are reported, not fatal.
    let floterial: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("floterial"))
        .collect();
    assert_eq!(floterial.len(), 43, "{:#?}", report.warnings);
    assert_eq!(report.without_polygon.len(), 43);
    assert!(
        report
            .without_polygon
            .contains(&"ocd-division/country:us/state:nh/sldl:hillsborough_45".to_owned())
    );
    assert_eq!(report.warnings.len(), 43, "{:#?}", report.warnings);

    // Massachusetts: word names, kept as given.
    let ma = layer("ma/sldl/2012");
    assert_eq!(
        ma.districts[0].ocd_id,
        "ocd-division/country:us/state:ma/sldl:18th_essex"
    );
    assert_eq!(ma.districts[0].name.as_deref(), Some("Eighteenth Essex"));
    assert_eq!(
        ma.districts[1].ocd_id,
        "ocd-division/country:us/state:ma/sldl:barnstable_dukes_and_nantucket"
    );
    assert_eq!(ma.vintage.valid_through.as_deref(), Some("2023-01-03"));

    let index = Index::build(report.layers);
    assert_eq!(index.layers().len(), 7);
    assert_eq!(index.layers()[3].districts, 3);
    // Zedland: at-large seat, house district, senate district; each hit says its layer.
    assert_eq!(
        hits(&index, 1.0, 1.0),
        [
            (format!("{ZZ}cd:at-large"), "us/cd/2013".to_owned()),
            (format!("{ZZ}sldl:1"), "zz/sldl/2012".to_owned()),
            (format!("{ZZ}sldu:1"), "zz/sldu/2012".to_owned()),
        ]
    );
    // Whyland: the 2013 and 2018 plans overlap; both answer, each with its vintage.
    let both = index.lookup(1.0, 26.0);
    let answers: Vec<(&str, &str, &str)> = both
        .iter()
        .map(|h| (h.ocd_id, h.layer, h.vintage.map.as_str()))
        .collect();
    assert_eq!(
        answers,
        [
            (
                "ocd-division/country:us/state:yy/cd:1",
                "yy/cd/2018",
                "2018"
            ),
            (
                "ocd-division/country:us/state:yy/cd:2",
                "us/cd/2013",
                "2013"
            ),
        ]
    );
    assert_eq!(
        ids(&index, 1.0, 41.0),
        ["ocd-division/country:us/state:ne/sldu:1"]
    );
}

#[test]
fn any_level_of_the_layout_loads_into_the_same_layers() {
    let whole = load("layout/districts");
    for (part, layer_ids) in [
        (
            "layout/districts/states/ZZ",
            vec!["zz/sldl/2012", "zz/sldu/2012"],
        ),
        ("layout/districts/states/NE/sldl", vec!["ne/sldu/2012"]),
        ("layout/districts/cds/2018", vec!["yy/cd/2018"]),
        (
            "layout/districts/cds/2016/ZZ-0/shape.geojson",
            vec!["us/cd/2013"],
        ),
        (
            "layout/districts/states/ZZ/sldl/1.geojson",
            vec!["zz/sldl/2012"],
        ),
    ] {
        let report = load(part);
        let got: Vec<&str> = report.layers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(got, layer_ids, "{part}");
        for layer in &report.layers {
            let full = whole.layers.iter().find(|l| l.id == layer.id).unwrap();
            assert_eq!(layer.vintage, full.vintage);
            for d in &layer.districts {
                assert!(full.districts.contains(d), "{part}: {}", d.ocd_id);
            }
        }
    }
    // Overlapping paths read each file once.
    let twice = load_paths(&[
        fixture("layout/districts"),
        fixture("layout/districts/states/ZZ"),
    ])
    .unwrap();
    assert_eq!(twice.features(), whole.features());
    assert_eq!(twice.warnings, whole.warnings);
    // An explicit state outline is not a district file.
    let outline = load("layout/districts/states/ZZ/shape.geojson");
    assert_eq!(outline.features(), 0);
    assert!(outline.warnings[0].contains("state outline"));
    // Missing paths and unknown files are errors.
    assert!(load_paths(&[fixture("nowhere")]).is_err());
    assert!(load_paths(&[fixture("README.md")]).is_err());
}

#[test]
fn geometry_survives_a_text_round_trip_and_rebuilds_the_same_index() {
    let report = load("layout/districts");
    let mut rebuilt = report.layers.clone();
    for layer in &mut rebuilt {
        for district in &mut layer.districts {
            let text = geometry_to_geojson(&district.geometry);
            district.geometry = geometry_from_geojson(&text).unwrap();
        }
    }
    assert_eq!(rebuilt, report.layers);
    let (a, b) = (Index::build(report.layers), Index::build(rebuilt));
    for lat in [-0.5, 0.0, 1.0, 2.5, 5.0, 9.999] {
        for lon in [0.0, 1.0, 5.0, 22.5, 25.0, 41.0, 62.0, 77.0] {
            assert_eq!(hits(&a, lat, lon), hits(&b, lat, lon));
        }
    }
}

#[test]
fn the_catalog_names_districts_and_finds_gaps() {
    let catalog = Catalog::load_dir(&fixture("ocd")).unwrap();
    assert_eq!(
        catalog.divisions().len(),
        7,
        "the census14 crosswalk has no names"
    );
    let mut report = load_paths(&[
        fixture("layout/districts/states/ZZ"),
        fixture("layout/districts/states/MA"),
    ])
    .unwrap();
    assert_eq!(
        report.ids_not_in_catalog(&catalog),
        [
            "ocd-division/country:us/state:ma/sldl:barnstable_dukes_and_nantucket",
            "ocd-division/country:us/state:zz/sldu:1",
        ]
    );
    let missing: Vec<&str> = report
        .missing_polygons(&catalog)
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    // 3 was retired in 2000, but the layer's first day is not known, so it counts; 19th Essex
    // belongs to Massachusetts' next plan (from 2023-01-04, after the layer's last day).
    assert_eq!(
        missing,
        [
            "ocd-division/country:us/state:zz/sldl:3",
            "ocd-division/country:us/state:zz/sldl:4"
        ]
    );
    report.name_from_catalog(&catalog);
    let names: Vec<Option<&str>> = report
        .layers
        .iter()
        .flat_map(|l| &l.districts)
        .map(|d| d.name.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            Some("Massachusetts Eighteenth Essex, a word-named district"),
            Some("Barnstable, Dukes and Nantucket"),
            Some("Zedland House district 1"),
            Some("Zedland House district 2"),
            Some("1"),
        ]
    );
}

/// A TIGER/Line zip as the Census publishes it: `tl_{year}_{fips}_{layer}.zip` holding the
/// `.shp`, `.shx`, `.dbf` and `.prj` of one layer.
fn write_tiger_zip(dir: &Path, file_name: &str, layer_field: &str, rows: &[(&str, f64)]) {
    use shapefile::dbase::{FieldValue, Record, TableWriterBuilder};

    let (mut shp, mut shx, mut dbf) = (
        Cursor::new(Vec::new()),
        Cursor::new(Vec::new()),
        Cursor::new(Vec::new()),
    );
    {
        let shapes = shapefile::ShapeWriter::with_shx(&mut shp, &mut shx);
        let table = TableWriterBuilder::new()
            .add_character_field("GEOID".try_into().unwrap(), 7)
            .add_character_field(layer_field.try_into().unwrap(), 3)
            .add_character_field("NAMELSAD".try_into().unwrap(), 40)
            .build_with_dest(&mut dbf);
        let mut writer = shapefile::Writer::new(shapes, table);
        for (geoid, x0) in rows {
            // Shapefile outer rings run clockwise.
            let shape = shapefile::Polygon::new(shapefile::PolygonRing::Outer(vec![
                shapefile::Point::new(*x0, 0.0),
                shapefile::Point::new(*x0, 1.0),
                shapefile::Point::new(x0 + 1.0, 1.0),
                shapefile::Point::new(x0 + 1.0, 0.0),
                shapefile::Point::new(*x0, 0.0),
            ]));
            let mut record = Record::default();
            record.insert("GEOID".into(), FieldValue::Character(Some((*geoid).into())));
            record.insert(
                layer_field.into(),
                FieldValue::Character(Some(geoid[2..].into())),
            );
            record.insert(
                "NAMELSAD".into(),
                FieldValue::Character(Some(format!("District {}", &geoid[2..]))),
            );
            writer.write_shape_and_record(&shape, &record).unwrap();
        }
        // Both halves finalize their headers when dropped.
        drop(writer);
    }
    let stem = file_name.trim_end_matches(".zip");
    let file = std::fs::File::create(dir.join(file_name)).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    for (ext, bytes) in [
        ("shp", shp.into_inner()),
        ("shx", shx.into_inner()),
        ("dbf", dbf.into_inner()),
        (
            "prj",
            br#"GEOGCS["GCS_North_American_1983",DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]]"#.to_vec(),
        ),
    ] {
        zip.start_file(format!("{stem}.{ext}"), options).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn tiger_line_zips_load_with_rules_and_the_crosswalk() {
    let dir = tempfile::tempdir().unwrap();
    // Ohio House: numeric codes map by rule; ZZZ is Census's "in no district" placeholder.
    // (shapefile's writer cannot write null shapes, so that path is tested on GeoJSON only.)
    write_tiger_zip(
        dir.path(),
        "tl_2014_39_sldl.zip",
        "SLDLST",
        &[("39001", 0.0), ("39002", 1.0), ("39ZZZ", 5.0)],
    );
    let report = load_paths(&[dir.path().join("tl_2014_39_sldl.zip")]).unwrap();
    assert_eq!(report.layers.len(), 1);
    let layer = &report.layers[0];
    assert_eq!(layer.id, "oh/sldl/tiger2014");
    assert_eq!(layer.kind, DivisionKind::Sldl);
    let got: Vec<(&str, Option<&str>)> = layer
        .districts
        .iter()
        .map(|d| (d.ocd_id.as_str(), d.name.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "ocd-division/country:us/state:oh/sldl:1",
                Some("District 001")
            ),
            (
                "ocd-division/country:us/state:oh/sldl:2",
                Some("District 002")
            ),
        ]
    );
    assert!(report.without_polygon.is_empty());
    assert_eq!(report.warnings.len(), 1, "{:#?}", report.warnings);
    assert!(report.warnings[0].contains("1 Census placeholder area"));
    let index = Index::build(report.layers);
    assert_eq!(
        ids(&index, 0.5, 1.5),
        ["ocd-division/country:us/state:oh/sldl:2"]
    );
    assert_eq!(ids(&index, 0.5, 1.0).len(), 2, "on the shared border");

    // Massachusetts: word-named IDs need the crosswalk; without it the district is skipped.
    write_tiger_zip(
        dir.path(),
        "tl_2014_25_sldl.zip",
        "SLDLST",
        &[("25114", 0.0)],
    );
    let ma = dir.path().join("tl_2014_25_sldl.zip");
    let without = load_paths(&[&ma]).unwrap();
    assert_eq!(without.features(), 0);
    assert!(without.warnings[0].contains("GEOID 25114 has no OCD-ID"));
    let crosswalk = Crosswalk::load_dir(&fixture("ocd")).unwrap();
    let with = Loader::new().crosswalk(crosswalk).load(&[&ma]).unwrap();
    assert_eq!(
        with.layers[0].districts[0].ocd_id,
        "ocd-division/country:us/state:ma/sldl:18th_essex"
    );

    // A national congressional file: one `us` layer with the Congress's dates.
    write_tiger_zip(
        dir.path(),
        "tl_2014_us_cd114.zip",
        "CD114FP",
        &[("5000", 0.0), ("3903", 2.0)],
    );
    let cds = load_paths(&[dir.path().join("tl_2014_us_cd114.zip")]).unwrap();
    let layer = &cds.layers[0];
    assert_eq!(layer.id, "us/cd/cd114");
    assert_eq!(layer.vintage.valid_from.as_deref(), Some("2015-01-03"));
    let cd_ids: Vec<&str> = layer.districts.iter().map(|d| d.ocd_id.as_str()).collect();
    assert_eq!(
        cd_ids,
        [
            "ocd-division/country:us/state:oh/cd:3",
            "ocd-division/country:us/state:vt/cd:at-large"
        ]
    );

    // A folder with both the zips and GeoJSON loads them all.
    let all = load_paths(&[dir.path()]).unwrap();
    assert_eq!(
        all.layers.len(),
        2,
        "the MA district is skipped without the crosswalk"
    );
}
