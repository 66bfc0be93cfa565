//! The Open Civic Data division catalog (`ocd/*.csv` in the shared data): a human name and
//! validity dates for every division, and the Census GEOID crosswalk that names TIGER/Line
//! districts.
//!
//! The files differ: most start with a header (`id,name,validFrom,validThrough`,
//! `id,name,census_geoid`, `id,name,census_geoid,validThrough`), the state and local lists have
//! no header and two columns (`id,name`), and the `census14_*` crosswalks have a header but no
//! name (`id,census_geoid_14,validThrough`). A file has a header when its first field is `id`;
//! columns are then found by name. One ID may have several rows: a district kept by a new plan
//! appears once per plan, with different dates.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::district::Vintage;

/// One catalog row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Division {
    /// The OCD-ID, e.g. `ocd-division/country:us/state:vt/sldl:chittenden-6-2`.
    pub id: String,
    /// E.g. `Vermont Chittenden-6-2 State House district`.
    pub name: String,
    /// `YYYY-MM-DD`, when the catalog gives it.
    pub valid_from: Option<String>,
    pub valid_through: Option<String>,
}

/// Every division of every `*.csv` in `dir` that has a name column, files in name order and
/// rows in file order. Files without one (the `census14_*` crosswalks) are skipped; read them
/// with [`Crosswalk::load_dir`].
pub fn load_dir(dir: &Path) -> anyhow::Result<Vec<Division>> {
    let mut divisions = Vec::new();
    for path in csv_files(dir)? {
        let table = Table::read(&path)?;
        if table.name.is_none() {
            continue;
        }
        divisions.extend(table.divisions());
    }
    Ok(divisions)
}

/// The catalog, indexed by ID.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    divisions: Vec<Division>,
    by_id: HashMap<String, Vec<usize>>,
}

impl Catalog {
    pub fn new(divisions: Vec<Division>) -> Catalog {
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::with_capacity(divisions.len());
        for (i, d) in divisions.iter().enumerate() {
            by_id.entry(d.id.clone()).or_default().push(i);
        }
        Catalog { divisions, by_id }
    }

    /// [`load_dir`], indexed.
    pub fn load_dir(dir: &Path) -> anyhow::Result<Catalog> {
        Ok(Catalog::new(load_dir(dir)?))
    }

    pub fn divisions(&self) -> &[Division] {
        &self.divisions
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Every row for `id`, in catalog order.
    pub fn rows(&self, id: &str) -> impl Iterator<Item = &Division> {
        self.by_id
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.divisions[i])
    }

    /// The name of `id` in its first row.
    pub fn name(&self, id: &str) -> Option<&str> {
        self.rows(id).next().map(|d| d.name.as_str())
    }

    /// The name of `id` for a plan: from the row whose dates overlap `vintage`'s, preferring a
    /// row with dates over one without (an undated row overlaps every plan); else the first row.
    pub fn name_in(&self, id: &str, vintage: &Vintage) -> Option<&str> {
        let mut best: Option<(&Division, usize)> = None;
        for row in self.rows(id) {
            if !vintage.overlaps(row.valid_from.as_deref(), row.valid_through.as_deref()) {
                continue;
            }
            let dates =
                usize::from(row.valid_from.is_some()) + usize::from(row.valid_through.is_some());
            if best.is_none_or(|(_, most)| dates > most) {
                best = Some((row, dates));
            }
        }
        best.map(|(row, _)| row.name.as_str())
            .or_else(|| self.name(id))
    }
}

/// Census GEOIDs to OCD-IDs, from the catalog's `census_geoid` and `census_geoid_14` columns.
/// Keys carry the kind as the catalog writes them: `sldl-50C62`, `sldu-39001`, `cd-3903`.
#[derive(Clone, Debug, Default)]
pub struct Crosswalk {
    by_geoid: HashMap<String, String>,
}

impl Crosswalk {
    /// Reads every `*.csv` in `dir` that has a `census_geoid` or `census_geoid_14` column. When
    /// a GEOID appears twice, a row still in force (no `validThrough`) wins.
    pub fn load_dir(dir: &Path) -> anyhow::Result<Crosswalk> {
        let mut by_geoid: HashMap<String, (String, bool)> = HashMap::new();
        for path in csv_files(dir)? {
            let table = Table::read(&path)?;
            let Some(geoid) = table.geoid else { continue };
            for row in &table.rows {
                let (Some(id), Some(key)) = (field(row, Some(table.id)), field(row, Some(geoid)))
                else {
                    continue;
                };
                let retired = field(row, table.valid_through).is_some();
                match by_geoid.get(key) {
                    Some((_, false)) => {}
                    Some((_, true)) if retired => {}
                    _ => {
                        by_geoid.insert(key.to_owned(), (id.to_owned(), retired));
                    }
                }
            }
        }
        Ok(Crosswalk {
            by_geoid: by_geoid.into_iter().map(|(k, (id, _))| (k, id)).collect(),
        })
    }

    /// The OCD-ID for a key such as `sldl-50C62`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.by_geoid.get(key).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_geoid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_geoid.is_empty()
    }
}

/// `dir`'s `*.csv` files, sorted.
fn csv_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            && path.is_file()
        {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("{} holds no .csv files", dir.display());
    }
    Ok(files)
}

/// One CSV file, with its columns located.
struct Table {
    rows: Vec<csv::StringRecord>,
    id: usize,
    name: Option<usize>,
    valid_from: Option<usize>,
    valid_through: Option<usize>,
    geoid: Option<usize>,
}

impl Table {
    fn read(path: &Path) -> anyhow::Result<Table> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(file);
        let mut rows = Vec::new();
        for row in reader.records() {
            rows.push(row.with_context(|| format!("reading {}", path.display()))?);
        }
        let first = rows.first().map(|r| {
            r.iter()
                .map(|f| f.trim().trim_start_matches('\u{feff}').to_owned())
                .collect::<Vec<_>>()
        });
        let Some(header) = first.filter(|h| h.first().is_some_and(|f| f == "id")) else {
            // No header: `id,name`.
            return Ok(Table {
                rows,
                id: 0,
                name: Some(1),
                valid_from: None,
                valid_through: None,
                geoid: None,
            });
        };
        rows.remove(0);
        let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
        Ok(Table {
            rows,
            id: 0,
            name: column(&["name"]),
            valid_from: column(&["validFrom"]),
            valid_through: column(&["validThrough"]),
            geoid: column(&["census_geoid", "census_geoid_14"]),
        })
    }

    fn divisions(&self) -> impl Iterator<Item = Division> + '_ {
        self.rows.iter().filter_map(|row| {
            Some(Division {
                id: field(row, Some(self.id))?.to_owned(),
                name: field(row, self.name)?.to_owned(),
                valid_from: field(row, self.valid_from).map(str::to_owned),
                valid_through: field(row, self.valid_through).map(str::to_owned),
            })
        })
    }
}

/// A trimmed, non-empty field.
fn field(row: &csv::StringRecord, column: Option<usize>) -> Option<&str> {
    let value = row.get(column?)?.trim();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn reads_every_layout_of_catalog_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a_sldl.csv",
            "id,name,validFrom,validThrough\n\
             ocd-division/country:us/state:vt/sldl:chittenden-10,Vermont Chittenden-10,,\n\
             ocd-division/country:us/state:vt/sldl:chittenden-10,Vermont Chittenden-10 (2022),2023-01-04,\n\
             ocd-division/country:us/state:ma/sldl:x,\"Massachusetts Barnstable, Dukes & Nantucket\",,\n",
        );
        write(
            dir.path(),
            "b_states.csv",
            "ocd-division/country:us,United States\nocd-division/country:us/state:vt,Vermont\n",
        );
        write(
            dir.path(),
            "c_census14.csv",
            "id,census_geoid_14,validThrough\nocd-division/country:us/state:vt/sldl:chittenden-6-2,sldl-50C62,\n",
        );
        write(
            dir.path(),
            "d_cd.csv",
            "id,name,census_geoid,validThrough\n\
             ocd-division/country:us/state:oh/cd:3,Ohio's 3rd congressional district,cd-3903,\n",
        );
        let divisions = load_dir(dir.path()).unwrap();
        assert_eq!(divisions.len(), 6, "{divisions:#?}");
        let catalog = Catalog::new(divisions);
        let id = "ocd-division/country:us/state:vt/sldl:chittenden-10";
        assert_eq!(catalog.rows(id).count(), 2);
        assert_eq!(catalog.name(id), Some("Vermont Chittenden-10"));
        let new_plan = Vintage {
            map: "2022".into(),
            valid_from: Some("2023-01-04".into()),
            valid_through: None,
        };
        assert_eq!(
            catalog.name_in(id, &new_plan),
            Some("Vermont Chittenden-10 (2022)")
        );
        assert_eq!(
            catalog.name_in(id, &crate::layout::state_plan("vt")),
            Some("Vermont Chittenden-10")
        );
        assert_eq!(
            catalog.name("ocd-division/country:us/state:ma/sldl:x"),
            Some("Massachusetts Barnstable, Dukes & Nantucket")
        );
        assert_eq!(
            catalog.name("ocd-division/country:us/state:vt"),
            Some("Vermont")
        );
        assert_eq!(
            catalog.rows(id).nth(1).unwrap().valid_from.as_deref(),
            Some("2023-01-04")
        );

        let crosswalk = Crosswalk::load_dir(dir.path()).unwrap();
        assert_eq!(crosswalk.len(), 2);
        assert_eq!(
            crosswalk.get("sldl-50C62"),
            Some("ocd-division/country:us/state:vt/sldl:chittenden-6-2")
        );
        assert_eq!(
            crosswalk.get("cd-3903"),
            Some("ocd-division/country:us/state:oh/cd:3")
        );
    }

    #[test]
    fn an_empty_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_dir(dir.path()).is_err());
    }
}
