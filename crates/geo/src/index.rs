//! The lookup index: "which districts, in every loaded layer, contain this point?".
//!
//! An R-tree holds the bounding box of every polygon of every district (a multipolygon's parts
//! are indexed apart, so an island does not stretch its district's box over the water). A query
//! takes the boxes that contain the point and runs the exact banded test of [`crate::pip`] on
//! each; see the crate docs for the border rule.

use geo::Coord;
use rstar::{AABB, RTree, RTreeObject};

use crate::district::{DivisionKind, Layer, Vintage};
use crate::pip::BandedPolygon;

/// A district that contains the queried point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit<'a> {
    pub ocd_id: &'a str,
    pub name: Option<&'a str>,
    pub kind: DivisionKind,
    /// The id of the layer the district came from, e.g. `pa/cd/2018`.
    pub layer: &'a str,
    /// The plan the answer is based on.
    pub vintage: &'a Vintage,
}

/// A layer as the index keeps it, without the geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerInfo {
    pub id: String,
    pub kind: DivisionKind,
    pub vintage: Vintage,
    /// How many districts the layer has.
    pub districts: usize,
}

/// The district index. Immutable once built; `Send + Sync`, so one can be shared by every
/// request handler (e.g. in an `Arc`).
#[derive(Debug)]
pub struct Index {
    layers: Vec<LayerInfo>,
    /// Sorted by (OCD-ID, layer id), so sorting hits by position sorts them the documented way.
    districts: Vec<IndexedDistrict>,
    polygons: Vec<IndexedPolygon>,
    tree: RTree<PolygonBox>,
}

#[derive(Debug)]
struct IndexedDistrict {
    ocd_id: String,
    name: Option<String>,
    kind: DivisionKind,
    layer: usize,
}

#[derive(Debug)]
struct IndexedPolygon {
    district: u32,
    shape: BandedPolygon,
}

/// An R-tree entry: one polygon's bounding box and its index in `Index::polygons`.
#[derive(Debug)]
struct PolygonBox {
    envelope: AABB<[f64; 2]>,
    polygon: u32,
}

impl RTreeObject for PolygonBox {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl Index {
    /// Builds the index, taking the layers' geometry. Polygons with no area (fewer than three
    /// distinct vertices) cannot contain a point and are left out.
    ///
    /// # Panics
    /// With more than `u32::MAX` districts or polygons.
    pub fn build(layers: Vec<Layer>) -> Index {
        let mut infos = Vec::with_capacity(layers.len());
        let mut districts = Vec::new();
        let mut geometries = Vec::new();
        for (layer_index, layer) in layers.into_iter().enumerate() {
            infos.push(LayerInfo {
                id: layer.id,
                kind: layer.kind,
                vintage: layer.vintage,
                districts: layer.districts.len(),
            });
            for district in layer.districts {
                districts.push(IndexedDistrict {
                    ocd_id: district.ocd_id,
                    name: district.name,
                    kind: district.kind,
                    layer: layer_index,
                });
                geometries.push(district.geometry);
            }
        }

        // Order districts by (OCD-ID, layer id) and carry their geometry along.
        let mut order: Vec<usize> = (0..districts.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&districts[a], &districts[b]);
            (a.ocd_id.as_str(), infos[a.layer].id.as_str())
                .cmp(&(b.ocd_id.as_str(), infos[b.layer].id.as_str()))
        });
        let mut slots: Vec<Option<IndexedDistrict>> = districts.into_iter().map(Some).collect();
        let mut geometry_slots: Vec<Option<geo::MultiPolygon<f64>>> =
            geometries.into_iter().map(Some).collect();
        let mut sorted = Vec::with_capacity(order.len());
        let mut polygons = Vec::new();
        for (position, &old) in order.iter().enumerate() {
            sorted.extend(slots[old].take());
            let district = u32::try_from(position).expect("fewer than 2^32 districts");
            for polygon in geometry_slots[old].take().into_iter().flatten() {
                if let Some(shape) = BandedPolygon::new(&polygon) {
                    polygons.push(IndexedPolygon { district, shape });
                }
            }
        }

        let boxes = polygons
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (min, max) = p.shape.bounds();
                PolygonBox {
                    envelope: AABB::from_corners([min.x, min.y], [max.x, max.y]),
                    polygon: u32::try_from(i).expect("fewer than 2^32 polygons"),
                }
            })
            .collect();
        Index {
            layers: infos,
            districts: sorted,
            polygons,
            tree: RTree::bulk_load(boxes),
        }
    }

    /// Every district, in every layer, whose closed boundary contains the point (latitude and
    /// longitude in degrees, WGS 84), sorted by OCD-ID, then layer id. Layers that overlap (two
    /// plans for the same state) each answer, and each hit names its layer and vintage. A point
    /// outside every district, or with a non-finite coordinate, gets an empty list.
    pub fn lookup(&self, lat: f64, lon: f64) -> Vec<Hit<'_>> {
        let mut found = Vec::new();
        self.lookup_into(lat, lon, &mut found);
        found
            .into_iter()
            .map(|d| {
                let district = &self.districts[d as usize];
                let layer = &self.layers[district.layer];
                Hit {
                    ocd_id: &district.ocd_id,
                    name: district.name.as_deref(),
                    kind: district.kind,
                    layer: &layer.id,
                    vintage: &layer.vintage,
                }
            })
            .collect()
    }

    /// Like [`Index::lookup`], but only counts the hits and allocates nothing: for benchmarks
    /// and bulk checks that reuse `scratch`.
    pub fn count_hits(&self, lat: f64, lon: f64, scratch: &mut Vec<u32>) -> usize {
        self.lookup_into(lat, lon, scratch);
        scratch.len()
    }

    /// Fills `found` with the positions in `self.districts` of the districts covering the point,
    /// ascending and without duplicates (a point on the line between two parts of one
    /// multipolygon is in both parts).
    fn lookup_into(&self, lat: f64, lon: f64, found: &mut Vec<u32>) {
        found.clear();
        if !lat.is_finite() || !lon.is_finite() {
            return;
        }
        let point = Coord { x: lon, y: lat };
        let query = AABB::from_point([lon, lat]);
        for entry in self.tree.locate_in_envelope_intersecting(&query) {
            let polygon = &self.polygons[entry.polygon as usize];
            if polygon.shape.covers(point) {
                found.push(polygon.district);
            }
        }
        found.sort_unstable();
        found.dedup();
    }

    /// The layers, in the order given to [`Index::build`].
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// How many districts the index holds.
    pub fn district_count(&self) -> usize {
        self.districts.len()
    }

    /// How many polygons (multipolygon parts) the index holds.
    pub fn polygon_count(&self) -> usize {
        self.polygons.len()
    }

    /// An estimate of the heap memory the index holds, in bytes: its vectors' capacities and
    /// strings, and the R-tree's entries (its inner nodes, a few percent more, are not counted).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                size_of::<LayerInfo>()
                    + l.id.capacity()
                    + l.vintage.map.capacity()
                    + l.vintage.valid_from.as_ref().map_or(0, String::capacity)
                    + l.vintage.valid_through.as_ref().map_or(0, String::capacity)
            })
            .sum();
        let districts: usize = self
            .districts
            .iter()
            .map(|d| {
                size_of::<IndexedDistrict>()
                    + d.ocd_id.capacity()
                    + d.name.as_ref().map_or(0, String::capacity)
            })
            .sum();
        let polygons: usize = self
            .polygons
            .iter()
            .map(|p| size_of::<IndexedPolygon>() + p.shape.heap_bytes())
            .sum();
        layers + districts + polygons + self.tree.size() * size_of::<PolygonBox>()
    }

    /// How many vertices the index holds (each ring's closing vertex counted).
    pub fn vertex_count(&self) -> usize {
        self.polygons.iter().map(|p| p.shape.vertex_count()).sum()
    }
}

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, polygon};

    use super::*;
    use crate::district::District;

    fn square(x0: f64, y0: f64, size: f64) -> geo::Polygon<f64> {
        polygon![
            (x: x0, y: y0),
            (x: x0 + size, y: y0),
            (x: x0 + size, y: y0 + size),
            (x: x0, y: y0 + size),
        ]
    }

    fn district(id: &str, polygons: Vec<geo::Polygon<f64>>) -> District {
        District {
            ocd_id: id.into(),
            name: None,
            kind: DivisionKind::from_ocd_id(id).unwrap(),
            state: "zz".into(),
            geometry: MultiPolygon(polygons),
        }
    }

    fn layer(id: &str, districts: Vec<District>) -> Layer {
        Layer {
            id: id.into(),
            kind: districts[0].kind,
            vintage: Vintage::undated("test"),
            districts,
        }
    }

    #[test]
    fn shared_borders_belong_to_both_and_hits_are_sorted() {
        let index = Index::build(vec![
            layer(
                "zz/sldl/b",
                vec![
                    district(
                        "ocd-division/country:us/state:zz/sldl:2",
                        vec![square(1., 0., 1.)],
                    ),
                    district(
                        "ocd-division/country:us/state:zz/sldl:1",
                        vec![square(0., 0., 1.)],
                    ),
                ],
            ),
            layer(
                "zz/sldl/a",
                vec![district(
                    "ocd-division/country:us/state:zz/sldl:1",
                    vec![square(0., 0., 2.)],
                )],
            ),
        ]);
        let ids = |lat, lon| -> Vec<(String, String)> {
            index
                .lookup(lat, lon)
                .iter()
                .map(|h| (h.ocd_id.to_owned(), h.layer.to_owned()))
                .collect()
        };
        let pair = |d: &str, l: &str| {
            (
                format!("ocd-division/country:us/state:zz/sldl:{d}"),
                l.to_owned(),
            )
        };
        assert_eq!(
            ids(0.5, 1.0),
            vec![
                pair("1", "zz/sldl/a"),
                pair("1", "zz/sldl/b"),
                pair("2", "zz/sldl/b")
            ]
        );
        assert_eq!(
            ids(0.5, 1.5),
            vec![pair("1", "zz/sldl/a"), pair("2", "zz/sldl/b")]
        );
        assert!(ids(3.0, 3.0).is_empty());
        assert!(ids(f64::NAN, 0.5).is_empty());
        let mut scratch = Vec::new();
        assert_eq!(index.count_hits(0.5, 1.0, &mut scratch), 3);
    }

    #[test]
    fn multipolygon_parts_meeting_at_a_line_give_one_hit() {
        let index = Index::build(vec![layer(
            "zz/cd/x",
            vec![district(
                "ocd-division/country:us/state:zz/cd:1",
                vec![square(0., 0., 1.), square(1., 0., 1.), square(5., 5., 1.)],
            )],
        )]);
        assert_eq!(index.lookup(0.5, 1.0).len(), 1);
        assert_eq!(index.lookup(5.5, 5.5).len(), 1);
        assert!(index.lookup(3.0, 3.0).is_empty());
        assert_eq!(index.polygon_count(), 3);
    }

    #[test]
    fn the_index_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Index>();
    }
}
