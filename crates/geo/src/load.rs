//! Loading districts from files and folders into layers, with a report of what was skipped.
//!
//! Files are parsed in parallel (JSON parsing is most of the load time) and then assembled in
//! sorted path order, so the result and its warnings are the same on every run.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};

use crate::catalog::{Catalog, Crosswalk, Division};
use crate::district::{District, DivisionKind, Layer, Vintage, parse_district_id};
use crate::geojson::{Object, multipolygon_of};
use crate::layout::{self, FileContext};
use crate::tiger;

/// What [`load_paths`] found.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// Sorted by id; each layer's districts sorted by OCD-ID.
    pub layers: Vec<Layer>,
    /// Everything skipped or odd, one line each, e.g. a feature with no geometry or a New
    /// Hampshire floterial district with no polygon. Loading never fails for these.
    pub warnings: Vec<String>,
    /// OCD-IDs of districts of a loaded plan that have no polygon, so lookups never return them:
    /// New Hampshire's floterial districts, features whose geometry is null or unusable.
    pub without_polygon: Vec<String>,
}

impl LoadReport {
    /// How many districts were loaded.
    pub fn features(&self) -> usize {
        self.layers.iter().map(|l| l.districts.len()).sum()
    }

    /// How many vertices the districts have (each ring's closing vertex counted).
    pub fn vertices(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| &l.districts)
            .flat_map(|d| &d.geometry)
            .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
            .sum()
    }

    /// The loaded OCD-IDs that the catalog does not know, sorted and without repeats.
    pub fn ids_not_in_catalog(&self, catalog: &Catalog) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .layers
            .iter()
            .flat_map(|l| &l.districts)
            .map(|d| d.ocd_id.as_str())
            .filter(|id| !catalog.contains(id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Catalog divisions that a loaded state-wide plan may have but no layer has a polygon for:
    /// same state and kind, dates overlapping the layer's vintage (an undated row overlaps
    /// every plan). For the shared data: New Hampshire's 43 floterial districts, and Vermont
    /// and Massachusetts districts of their 2022 plans that the catalog leaves undated.
    pub fn missing_polygons<'c>(&self, catalog: &'c Catalog) -> Vec<&'c Division> {
        let loaded: HashSet<&str> = self
            .layers
            .iter()
            .flat_map(|l| &l.districts)
            .map(|d| d.ocd_id.as_str())
            .collect();
        let mut missing: Vec<&Division> = Vec::new();
        for layer in &self.layers {
            let Some((scope, _)) = layer.id.split_once('/') else {
                continue;
            };
            if scope == "us" {
                continue;
            }
            let prefix = format!(
                "ocd-division/country:us/{}:{scope}/{}:",
                if scope == "dc" { "district" } else { "state" },
                layer.kind
            );
            missing.extend(catalog.divisions().iter().filter(|d| {
                d.id.starts_with(&prefix)
                    && !d.id[prefix.len()..].contains('/')
                    && !loaded.contains(d.id.as_str())
                    && layer
                        .vintage
                        .overlaps(d.valid_from.as_deref(), d.valid_through.as_deref())
            }));
        }
        missing.sort_by(|a, b| a.id.cmp(&b.id));
        missing.dedup_by(|a, b| a.id == b.id);
        missing
    }

    /// Replaces each district's name with the catalog's name for it in the layer's plan
    /// (`"Vermont Chittenden-6-2 State House district"` for the source's `"Chittenden-6-2"`);
    /// districts the catalog does not know keep the source's name.
    pub fn name_from_catalog(&mut self, catalog: &Catalog) {
        for layer in &mut self.layers {
            for district in &mut layer.districts {
                if let Some(name) = catalog.name_in(&district.ocd_id, &layer.vintage) {
                    district.name = Some(name.to_owned());
                }
            }
        }
    }
}

/// Loads districts from GeoJSON files, folders of them, and Census TIGER/Line `.zip` files.
///
/// A folder may be any level of the shared layout (`districts`, `districts/cds/2016`,
/// `districts/states/OH`, `districts/states/OH/sldl`); it is walked for `*.geojson` and `*.zip`,
/// skipping hidden entries and the states' outlines. A path given twice, or inside another
/// given folder, is read once. TIGER/Line GEOIDs are mapped to OCD-IDs by rule only; to use the
/// OCD crosswalk, see [`Loader::crosswalk`].
///
/// Fails on an unreadable or malformed file; a bad feature in a good file is a warning.
pub fn load_paths(paths: &[impl AsRef<Path>]) -> anyhow::Result<LoadReport> {
    Loader::new().load(paths)
}

/// [`load_paths`] with options.
#[derive(Clone, Debug, Default)]
pub struct Loader {
    crosswalk: Option<Crosswalk>,
}

impl Loader {
    pub fn new() -> Loader {
        Loader::default()
    }

    /// Maps TIGER/Line GEOIDs with this crosswalk before falling back to the rule; needed for
    /// states whose OCD-IDs are words (Massachusetts, New Hampshire, Vermont), whose districts
    /// are otherwise skipped with a warning.
    pub fn crosswalk(mut self, crosswalk: Crosswalk) -> Loader {
        self.crosswalk = Some(crosswalk);
        self
    }

    pub fn load(&self, paths: &[impl AsRef<Path>]) -> anyhow::Result<LoadReport> {
        let files = collect_files(paths)?;
        let results = parse_in_parallel(&files, |path| {
            if has_extension(path, "zip") {
                tiger::read_zip(path, self.crosswalk.as_ref())
            } else {
                read_geojson(path)
            }
        })?;
        Ok(assemble(results))
    }
}

/// The layer a district belongs to.
#[derive(Clone, Debug)]
pub(crate) struct LayerKey {
    /// A state's postal code, or `us`.
    pub scope: String,
    pub kind: DivisionKind,
    pub vintage: Vintage,
}

impl LayerKey {
    fn id(&self) -> String {
        format!("{}/{}/{}", self.scope, self.kind, self.vintage.map)
    }
}

/// What one file gave.
#[derive(Debug, Default)]
pub(crate) struct FileOutput {
    pub districts: Vec<(LayerKey, District)>,
    pub warnings: Vec<String>,
    pub without_polygon: Vec<String>,
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// The files to read, sorted, each once.
fn collect_files(paths: &[impl AsRef<Path>]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let meta =
            std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        if meta.is_dir() {
            let before = files.len();
            walk(path, &mut files)?;
            if files.len() == before {
                bail!("{} holds no .geojson or .zip files", path.display());
            }
        } else if ["geojson", "json", "zip"]
            .iter()
            .any(|e| has_extension(path, e))
        {
            files.push(path.to_owned());
        } else {
            bail!(
                "{}: not a .geojson, .json or TIGER/Line .zip file",
                path.display()
            );
        }
    }
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(files.len());
    for file in files {
        let canonical = std::fs::canonicalize(&file)
            .with_context(|| format!("resolving {}", file.display()))?;
        if seen.insert(canonical.clone()) {
            unique.push(canonical);
        }
    }
    unique.sort();
    Ok(unique)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry
            .file_type()
            .with_context(|| format!("reading {}", path.display()))?;
        if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
            walk(&path, files)?;
        } else if (has_extension(&path, "geojson") || has_extension(&path, "zip"))
            && FileContext::of(&path) != FileContext::StateOutline
        {
            files.push(path);
        }
    }
    Ok(())
}

/// Runs `read` on every file over all cores; results in file order; the first error (in file
/// order) wins.
fn parse_in_parallel(
    files: &[PathBuf],
    read: impl Fn(&Path) -> anyhow::Result<FileOutput> + Sync,
) -> anyhow::Result<Vec<FileOutput>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, anyhow::Result<FileOutput>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    mine.push((i, read(path)));
                }
                results
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .extend(mine);
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Reads one GeoJSON file: a FeatureCollection, a Feature, or a bare Polygon/MultiPolygon.
fn read_geojson(path: &Path) -> anyhow::Result<FileOutput> {
    let context = FileContext::of(path);
    let mut out = FileOutput::default();
    let shown = path.display();
    if context == FileContext::StateOutline {
        out.warnings
            .push(format!("{shown}: a state outline, not districts; skipped"));
        return Ok(out);
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {shown}"))?;
    let object: Object =
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {shown} as GeoJSON"))?;
    let features: Vec<&Object> = match object.kind.as_str() {
        "FeatureCollection" => object.features.iter().flatten().collect(),
        "Feature" | "Polygon" | "MultiPolygon" => vec![&object],
        other => bail!("{shown}: a GeoJSON {other}, not a Feature, FeatureCollection or polygon"),
    };
    let mut kind_mismatch = None;
    for (n, feature) in features.into_iter().enumerate() {
        let at = if object.kind == "FeatureCollection" {
            format!("{shown} feature {n}")
        } else {
            shown.to_string()
        };
        let property = |key: &str| {
            feature
                .properties
                .as_ref()
                .and_then(|p| p.get(key))
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let from_folder = match &context {
            FileContext::Congressional { state, seat, .. } => {
                Some(layout::congressional_id(state, seat))
            }
            _ => None,
        };
        let ocd_id = match (property("ocdid"), &from_folder) {
            (Some(id), Some(folder_id)) if id != folder_id => {
                out.warnings.push(format!(
                    "{at}: properties.ocdid {id} differs from its folder's {folder_id}; using ocdid"
                ));
                id.to_owned()
            }
            (Some(id), _) => id.to_owned(),
            (None, Some(folder_id)) => folder_id.clone(),
            (None, None) => {
                out.warnings
                    .push(format!("{at}: no properties.ocdid; skipped"));
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
        let geometry = if feature.kind == "Feature" {
            feature.geometry.as_deref()
        } else {
            Some(feature)
        };
        let Some(geometry) = geometry else {
            out.warnings
                .push(format!("{at}: {ocd_id} has no geometry; not indexed"));
            out.without_polygon.push(ocd_id);
            continue;
        };
        let geometry = match multipolygon_of(geometry) {
            Ok(g) if !g.0.is_empty() => g,
            Ok(_) => {
                out.warnings
                    .push(format!("{at}: {ocd_id} has an empty geometry; not indexed"));
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
        let key = match &context {
            FileContext::Congressional { folder, .. } => {
                let (vintage, national) = layout::congressional_plan(folder);
                LayerKey {
                    scope: if national {
                        "us".to_owned()
                    } else {
                        id.state.clone()
                    },
                    kind: id.kind,
                    vintage,
                }
            }
            FileContext::Chamber { state, kind } => {
                // Nebraska's unicameral districts sit in sldl/ folders with sldu IDs: expected.
                if (*kind != id.kind && id.state != "ne") || *state != id.state {
                    kind_mismatch = Some(format!(
                        "{shown}: the folder says {state} {kind}, the OCD-IDs say {} {}; using the OCD-IDs",
                        id.state, id.kind
                    ));
                }
                LayerKey {
                    scope: id.state.clone(),
                    kind: id.kind,
                    vintage: layout::state_plan(&id.state),
                }
            }
            FileContext::Free { stem } => LayerKey {
                scope: id.state.clone(),
                kind: id.kind,
                vintage: Vintage::undated(stem.clone()),
            },
            FileContext::StateOutline => unreachable!("returned early"),
        };
        let name = property("name")
            .or_else(|| property("District"))
            .map(str::to_owned);
        out.districts.push((
            key,
            District {
                ocd_id,
                name,
                kind: id.kind,
                state: id.state,
                geometry,
            },
        ));
    }
    out.warnings.extend(kind_mismatch);
    Ok(out)
}

/// Groups districts into layers, merges repeats, and adds the known gaps.
fn assemble(outputs: Vec<FileOutput>) -> LoadReport {
    let mut report = LoadReport::default();
    let mut layers: BTreeMap<String, Layer> = BTreeMap::new();
    for output in outputs {
        report.warnings.extend(output.warnings);
        report.without_polygon.extend(output.without_polygon);
        for (key, district) in output.districts {
            let id = key.id();
            let layer = layers.entry(id.clone()).or_insert_with(|| Layer {
                id: id.clone(),
                kind: key.kind,
                vintage: key.vintage.clone(),
                districts: Vec::new(),
            });
            if layer.vintage != key.vintage {
                report.warnings.push(format!(
                    "{}: layer {id} already has vintage {:?}; keeping it",
                    district.ocd_id, layer.vintage
                ));
            }
            layer.districts.push(district);
        }
    }
    for layer in layers.values_mut() {
        // Stable: repeats keep file order, so merged geometry is the same every run.
        layer.districts.sort_by(|a, b| a.ocd_id.cmp(&b.ocd_id));
        let mut merged: Vec<District> = Vec::with_capacity(layer.districts.len());
        for district in layer.districts.drain(..) {
            match merged.last_mut() {
                Some(last) if last.ocd_id == district.ocd_id => {
                    report.warnings.push(format!(
                        "{}: appears more than once in layer {}; its polygons are merged",
                        district.ocd_id, layer.id
                    ));
                    last.geometry.0.extend(district.geometry.0);
                    if last.name.is_none() {
                        last.name = district.name;
                    }
                }
                _ => merged.push(district),
            }
        }
        layer.districts = merged;

        if layer.id.starts_with("nh/sldl/") {
            let present: HashSet<&str> =
                layer.districts.iter().map(|d| d.ocd_id.as_str()).collect();
            for id in layout::nh_floterial_ids(&layer.vintage.map) {
                if !present.contains(id.as_str()) {
                    report.warnings.push(format!(
                        "{id}: New Hampshire floterial district (it overlays other districts of layer {}); no polygon of its own, so lookups never return it",
                        layer.id
                    ));
                    report.without_polygon.push(id);
                }
            }
        }
    }
    report.layers = layers.into_values().collect();
    report
}
