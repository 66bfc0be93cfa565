//! District geography: load election district boundaries and answer "which districts contain
//! this point?" exactly and fast, across every loaded map at once. No web or database code.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let report = downballot_geo::load_paths(&["../shared/data/districts"])?;
//! for warning in &report.warnings {
//!     eprintln!("{warning}");
//! }
//! let index = downballot_geo::Index::build(report.layers);
//! for hit in index.lookup(44.484, -73.2199) {
//!     println!("{} ({}, {} map)", hit.ocd_id, hit.layer, hit.vintage.map);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Sources
//! [`load_paths`] reads GeoJSON laid out like the shared data (`districts/cds/2016/OH-3/`,
//! `districts/states/OH/sldl/1.geojson`; see `layout.rs` for every rule), any other GeoJSON whose
//! features carry `properties.ocdid`, and Census TIGER/Line `.zip` files (see `tiger.rs`).
//! Districts are grouped into [`Layer`]s, one per kind, area and plan (`oh/sldl/2012`,
//! `us/cd/2013`, `pa/cd/2018`), each with its [`Vintage`]. The [`catalog`] module reads the OCD
//! division lists: human names, validity dates, and which loaded IDs it does not know.
//!
//! # Border rule: districts are closed
//! A district contains its boundary. A point exactly on the border between two districts is in
//! **both**, and both are returned; a point on a hole's edge is in the district. This is the
//! rule of PostGIS's `ST_Covers`, and `tests/it/geo_postgis.rs` checks the index against it on
//! random points. The test is exact (robust orientation predicates, no tolerance), so the
//! answer never depends on the order of operations. PostGIS decides "on the line" with a
//! `1e-12` tolerance on a cross product, so the two may differ for points within about
//! `1e-9` degrees (0.1 mm) of a border; the comparison leaves those points out.
//!
//! Geocoded addresses practically never land exactly on a border. Callers that need exactly
//! one district per kind should pick among same-layer hits themselves (e.g. the lowest OCD-ID).
//!
//! # Overlapping plans
//! [`Index::lookup`] answers from every loaded layer. Where two plans cover the same ground —
//! Pennsylvania's 2013 (`us/cd/2013`) and 2018 (`pa/cd/2018`) congressional maps — a point gets
//! one congressional hit from each, each naming its layer and vintage; choosing the plan in
//! force for an election is the caller's business.
//!
//! # Known quirks of the shared data
//! * Nebraska's unicameral legislature: its files sit in `sldl/` folders, but the IDs say
//!   `sldu`; districts take their kind from the ID, so the layer is `ne/sldu/2012`.
//! * New Hampshire's 43 floterial House districts (2012 plan) have no polygon of their own;
//!   loading reports each in [`LoadReport::warnings`] and [`LoadReport::without_polygon`].
//! * Massachusetts names districts with words (`sldl:18th_essex`), Vermont with county codes
//!   (`sldl:chittenden-6-2`); IDs are taken as given, never rebuilt from numbers.
//!
//! # Speed
//! Each polygon's edges are bucketed into horizontal bands (`pip.rs`), so a point test reads
//! about ten edges whatever the polygon's size; an R-tree over the polygons' boxes finds the
//! candidates (`index.rs`). Figures are in `docs/PERFORMANCE.md` ("District lookups").

/// The OCD division catalog and the Census GEOID crosswalk.
pub mod catalog;
/// Kinds, vintages, districts and layers.
mod district;
/// State FIPS codes.
mod fips;
/// GeoJSON reading and writing.
mod geojson;
/// The R-tree lookup index.
mod index;
/// What the shared folder layout says about a file, and the data's known gaps.
mod layout;
/// Loading files and folders into layers.
mod load;
/// Exact point-in-polygon over banded edges.
mod pip;
/// TIGER/Line shapefile zips.
mod tiger;

pub use district::{District, DivisionKind, Layer, Vintage};
pub use geojson::{geometry_from_geojson, geometry_to_geojson};
pub use index::{Hit, Index, LayerInfo};
pub use load::{LoadReport, Loader, load_paths};

/// Re-exported so callers name the same geometry types this crate uses.
pub use geo;
