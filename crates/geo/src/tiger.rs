//! Census TIGER/Line shapefiles, read from the `.zip` as downloaded (`tl_2014_50_sldl.zip`,
//! `tl_2014_us_cd114.zip`): the `.shp` geometry, the `.dbf` attributes (`GEOID`, `NAMELSAD`) and
//! the `.prj`, which must be longitude/latitude (TIGER's NAD 83 is used as WGS 84: they differ
//! by about a metre, far less than the data's own precision).
//!
//! A GEOID becomes an OCD-ID through the OCD crosswalk (`census14_*.csv`, keys like
//! `sldl-50C62`) when one is given, else by rule: the state from the FIPS code, and the district
//! code without leading zeros, lowercased (`39001` → `…/state:oh/sldl:1`, `2401A` →
//! `…/state:md/sldl:1a`, congressional `00` → `cd:at-large`). Massachusetts, New Hampshire and
//! Vermont name districts with words, so the rule does not apply there and their districts
//! need the crosswalk. Census's placeholder districts for areas in none (`ZZZ`, mostly water)
//! are skipped.

use std::io::{Cursor, Read};
use std::path::Path;

use anyhow::{Context, bail};
use geo::MultiPolygon;
use shapefile::dbase::{self, FieldValue};
use shapefile::{Shape, ShapeReader};

use crate::catalog::Crosswalk;
use crate::district::{District, DivisionKind, Vintage, parse_district_id};
use crate::fips;
use crate::layout;
use crate::load::{FileOutput, LayerKey};

/// States whose OCD-IDs for legislative districts are words, not Census codes.
const WORD_NAMED_STATES: &[&str] = &["ma", "nh", "vt"];

/// What the file name `tl_{year}_{scope}_{layer}` says.
struct FileName {
    year: Option<u32>,
    /// `us` or a state FIPS code.
    scope: Option<String>,
    kind: Option<DivisionKind>,
    /// For `cd114`: 114.
    congress: Option<u32>,
}

impl FileName {
    fn parse(path: &Path) -> FileName {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let parts: Vec<&str> = stem.split('_').collect();
        let mut name = FileName {
            year: None,
            scope: None,
            kind: None,
            congress: None,
        };
        if let ["tl", year, scope, layer] = parts.as_slice() {
            name.year = year.parse().ok();
            name.scope = Some((*scope).to_owned());
            if let Some(n) = layer.strip_prefix("cd") {
                name.kind = Some(DivisionKind::Cd);
                name.congress = n.parse().ok();
            } else {
                name.kind = layer.parse().ok();
            }
        }
        name
    }

    /// The plan: a Congress's districts carry that Congress's dates.
    fn vintage(&self, kind: DivisionKind) -> Vintage {
        if kind == DivisionKind::Cd
            && let Some(congress) = self.congress.filter(|&c| c >= 74)
        {
            // Since 1935 every Congress sits from January 3 of an odd year for two years.
            let start = 1789 + 2 * (congress - 1);
            return Vintage {
                map: format!("cd{congress}"),
                valid_from: Some(format!("{start}-01-03")),
                valid_through: Some(format!("{}-01-03", start + 2)),
            };
        }
        Vintage::undated(match self.year {
            Some(year) => format!("tiger{year}"),
            None => "tiger".to_owned(),
        })
    }
}

/// Reads one TIGER/Line zip.
pub(crate) fn read_zip(path: &Path, crosswalk: Option<&Crosswalk>) -> anyhow::Result<FileOutput> {
    let shown = path.display();
    let file = std::fs::File::open(path).with_context(|| format!("opening {shown}"))?;
    let mut archive =
        zip::ZipArchive::new(file).with_context(|| format!("{shown}: not a readable zip"))?;
    let mut shp: Option<Vec<u8>> = None;
    let mut dbf: Option<Vec<u8>> = None;
    let mut prj: Option<Vec<u8>> = None;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .with_context(|| format!("{shown}: reading entry {i}"))?;
        let name = entry
            .name()
            .with_context(|| format!("{shown}: entry {i} has an unreadable name"))?
            .to_ascii_lowercase();
        let slot = if name.ends_with(".shp") {
            &mut shp
        } else if name.ends_with(".dbf") {
            &mut dbf
        } else if name.ends_with(".prj") {
            &mut prj
        } else {
            continue;
        };
        if slot.is_some() {
            bail!("{shown}: more than one {name:?}-like entry; expected one shapefile");
        }
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .with_context(|| format!("{shown}: reading {name}"))?;
        *slot = Some(bytes);
    }
    let shp = shp.with_context(|| format!("{shown}: no .shp inside"))?;
    let dbf = dbf.with_context(|| format!("{shown}: no .dbf inside"))?;
    if let Some(prj) = &prj {
        let prj = String::from_utf8_lossy(prj);
        if prj.contains("PROJCS") || !prj.contains("GEOGCS") {
            bail!("{shown}: the .prj is not longitude/latitude (GEOGCS): {prj}");
        }
    }

    let shapes = ShapeReader::new(Cursor::new(shp)).with_context(|| format!("{shown}: .shp"))?;
    let records = dbase::Reader::new(Cursor::new(dbf)).with_context(|| format!("{shown}: .dbf"))?;
    let field_names: Vec<String> = records
        .fields()
        .iter()
        .map(|f| f.name().to_ascii_uppercase())
        .collect();
    let mut reader = shapefile::Reader::new(shapes, records);

    let file_name = FileName::parse(path);
    let kind = file_name
        .kind
        .or_else(|| kind_from_fields(&field_names))
        .with_context(|| {
            format!("{shown}: neither the file name nor the .dbf fields say sldl, sldu or cd")
        })?;
    let vintage = file_name.vintage(kind);

    let mut out = FileOutput::default();
    let mut placeholders = 0;
    for (n, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = item.with_context(|| format!("{shown}: record {n}"))?;
        let at = format!("{shown} record {n}");
        let text = |field: &str| match record.get(field) {
            Some(FieldValue::Character(Some(s))) => {
                Some(s.trim().to_owned()).filter(|s| !s.is_empty())
            }
            _ => None,
        };
        let Some(geoid) = text("GEOID") else {
            out.warnings.push(format!("{at}: no GEOID; skipped"));
            continue;
        };
        if geoid.len() > 2 && geoid[2..].bytes().all(|b| b == b'Z') {
            placeholders += 1;
            continue;
        }
        let mapped = crosswalk.and_then(|c| c.get(&format!("{kind}-{geoid}")));
        let ocd_id = match mapped
            .map(str::to_owned)
            .or_else(|| id_by_rule(kind, &geoid))
        {
            Some(id) => id,
            None => {
                out.warnings.push(format!(
                    "{at}: GEOID {geoid} has no OCD-ID (not in the crosswalk, and no rule for it); skipped"
                ));
                continue;
            }
        };
        let id = match parse_district_id(&ocd_id) {
            Ok(id) => id,
            Err(e) => {
                out.warnings.push(format!("{at}: {e:#}; skipped"));
                continue;
            }
        };
        let geometry = match shape_to_multipolygon(shape) {
            Ok(Some(g)) => g,
            Ok(None) => {
                out.warnings
                    .push(format!("{at}: {ocd_id} has no shape; not indexed"));
                out.without_polygon.push(ocd_id);
                continue;
            }
            Err(e) => {
                out.warnings
                    .push(format!("{at}: {ocd_id}: {e:#}; not indexed"));
                out.without_polygon.push(ocd_id);
                continue;
            }
        };
        let scope = match file_name.scope.as_deref() {
            Some("us") => "us".to_owned(),
            _ => id.state.clone(),
        };
        out.districts.push((
            LayerKey {
                scope,
                kind: id.kind,
                vintage: vintage.clone(),
            },
            District {
                ocd_id,
                name: text("NAMELSAD"),
                kind: id.kind,
                state: id.state,
                geometry,
            },
        ));
    }
    if placeholders > 0 {
        out.warnings.push(format!(
            "{shown}: skipped {placeholders} Census placeholder area(s) in no district (GEOID ending ZZ…)"
        ));
    }
    Ok(out)
}

/// The kind from the `.dbf` columns: `SLDLST`, `SLDUST`, or `CD114FP`-like.
fn kind_from_fields(fields: &[String]) -> Option<DivisionKind> {
    fields.iter().find_map(|f| match f.as_str() {
        "SLDLST" => Some(DivisionKind::Sldl),
        "SLDUST" => Some(DivisionKind::Sldu),
        f if f.starts_with("CD") && f.ends_with("FP") => Some(DivisionKind::Cd),
        _ => None,
    })
}

/// The OCD-ID a GEOID has by rule; `None` where the rule does not apply.
fn id_by_rule(kind: DivisionKind, geoid: &str) -> Option<String> {
    let (fips, code) = (geoid.get(..2)?, geoid.get(2..)?);
    let state = fips::postal_code(fips)?;
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let code = code.trim_start_matches('0').to_ascii_lowercase();
    if kind == DivisionKind::Cd {
        // 00: a state's single seat; 98: the delegate of DC or a territory.
        let seat = if code.is_empty() || code == "98" {
            "at-large".to_owned()
        } else {
            code
        };
        return Some(layout::congressional_id(state, &seat));
    }
    if WORD_NAMED_STATES.contains(&state) || code.is_empty() {
        return None;
    }
    Some(format!(
        "ocd-division/country:us/state:{state}/{kind}:{code}"
    ))
}

/// A polygon shape as a multipolygon; `None` for a null shape; an error for other shapes or
/// non-finite coordinates.
fn shape_to_multipolygon(shape: Shape) -> anyhow::Result<Option<MultiPolygon<f64>>> {
    let geometry: MultiPolygon<f64> = match shape {
        Shape::NullShape => return Ok(None),
        Shape::Polygon(p) => p.try_into()?,
        Shape::PolygonM(p) => p.try_into()?,
        Shape::PolygonZ(p) => p.try_into()?,
        other => bail!("a {} shape, not a polygon", other.shapetype()),
    };
    let finite = geometry
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.coords())
        .all(|c| c.x.is_finite() && c.y.is_finite());
    if !finite {
        bail!("non-finite coordinates");
    }
    Ok((!geometry.0.is_empty()).then_some(geometry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_for_geoids() {
        let rule = |kind, geoid| id_by_rule(kind, geoid);
        assert_eq!(
            rule(DivisionKind::Sldl, "39001").as_deref(),
            Some("ocd-division/country:us/state:oh/sldl:1")
        );
        assert_eq!(
            rule(DivisionKind::Sldl, "2401A").as_deref(),
            Some("ocd-division/country:us/state:md/sldl:1a")
        );
        assert_eq!(
            rule(DivisionKind::Cd, "5000").as_deref(),
            Some("ocd-division/country:us/state:vt/cd:at-large")
        );
        assert_eq!(
            rule(DivisionKind::Cd, "1198").as_deref(),
            Some("ocd-division/country:us/district:dc/cd:at-large")
        );
        assert_eq!(
            rule(DivisionKind::Cd, "3903").as_deref(),
            Some("ocd-division/country:us/state:oh/cd:3")
        );
        assert_eq!(
            rule(DivisionKind::Sldl, "50C62"),
            None,
            "Vermont needs the crosswalk"
        );
        assert_eq!(rule(DivisionKind::Sldu, "25001"), None, "Massachusetts too");
        assert_eq!(rule(DivisionKind::Sldl, "03001"), None, "no state 03");
    }

    #[test]
    fn file_names() {
        let name = FileName::parse(Path::new("/x/tl_2014_us_cd114.zip"));
        assert_eq!(name.kind, Some(DivisionKind::Cd));
        let vintage = name.vintage(DivisionKind::Cd);
        assert_eq!(vintage.map, "cd114");
        assert_eq!(vintage.valid_from.as_deref(), Some("2015-01-03"));
        assert_eq!(vintage.valid_through.as_deref(), Some("2017-01-03"));
        let name = FileName::parse(Path::new("tl_2014_50_sldl.zip"));
        assert_eq!(name.kind, Some(DivisionKind::Sldl));
        assert_eq!(name.scope.as_deref(), Some("50"));
        assert_eq!(name.vintage(DivisionKind::Sldl).map, "tiger2014");
        assert!(FileName::parse(Path::new("districts.zip")).kind.is_none());
    }
}
