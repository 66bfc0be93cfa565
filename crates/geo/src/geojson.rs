//! GeoJSON in and out: a lean reader for district files (Feature, FeatureCollection or a bare
//! geometry) and exact text round-trips of a district's geometry for storage.
//!
//! The reader deserializes straight into coordinate vectors. The `geojson` crate's types buffer
//! every feature through `serde`'s flattening first, which is several times slower on the 72 MB
//! of shared district files and would blow the index's load-time budget.

use std::fmt::{self, Write as _};

use anyhow::{Context, bail};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A GeoJSON object of any type; only the members districts need are kept.
#[derive(Debug, Deserialize)]
pub(crate) struct Object {
    #[serde(rename = "type")]
    pub kind: String,
    /// Feature: its properties.
    #[serde(default)]
    pub properties: Option<Map<String, Value>>,
    /// Feature: its geometry (`null` stays `None`).
    #[serde(default)]
    pub geometry: Option<Box<Object>>,
    /// FeatureCollection: its features.
    #[serde(default)]
    pub features: Option<Vec<Object>>,
    /// Geometry: its coordinates.
    #[serde(default)]
    pub coordinates: Option<Nested>,
}

/// Nested coordinate arrays of any depth; a position keeps x and y (z and m are dropped).
#[derive(Debug)]
pub(crate) enum Nested {
    Position(Coord<f64>),
    List(Vec<Nested>),
}

impl<'de> Deserialize<'de> for Nested {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Nested, D::Error> {
        deserializer.deserialize_seq(NestedVisitor)
    }
}

struct NestedVisitor;

impl<'de> Visitor<'de> for NestedVisitor {
    type Value = Nested;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON coordinate array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nested, A::Error> {
        match seq.next_element::<Element>()? {
            None => Ok(Nested::List(Vec::new())),
            Some(Element::Number(x)) => {
                let y: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("a position needs two numbers"))?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Nested::Position(Coord { x, y }))
            }
            Some(Element::Nested(first)) => {
                let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(8) + 1);
                list.push(first);
                while let Some(next) = seq.next_element::<Nested>()? {
                    list.push(next);
                }
                Ok(Nested::List(list))
            }
        }
    }
}

/// An element of a coordinate array: a number (inside a position) or a deeper array.
enum Element {
    Number(f64),
    Nested(Nested),
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Element, D::Error> {
        struct ElementVisitor;
        impl<'de> Visitor<'de> for ElementVisitor {
            type Value = Element;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a coordinate array")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Element, E> {
                Ok(Element::Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Element, E> {
                Ok(Element::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Element, E> {
                Ok(Element::Number(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Element, A::Error> {
                NestedVisitor.visit_seq(seq).map(Element::Nested)
            }
        }
        deserializer.deserialize_any(ElementVisitor)
    }
}

/// The polygons of a Polygon or MultiPolygon geometry object.
pub(crate) fn multipolygon_of(geometry: &Object) -> anyhow::Result<MultiPolygon<f64>> {
    let coordinates = geometry
        .coordinates
        .as_ref()
        .with_context(|| format!("{} geometry without coordinates", geometry.kind))?;
    match geometry.kind.as_str() {
        "Polygon" => Ok(MultiPolygon(vec![polygon_of(coordinates)?])),
        "MultiPolygon" => {
            let Nested::List(polygons) = coordinates else {
                bail!("MultiPolygon coordinates must be an array of polygons");
            };
            Ok(MultiPolygon(
                polygons
                    .iter()
                    .map(polygon_of)
                    .collect::<anyhow::Result<_>>()?,
            ))
        }
        other => bail!("{other} is not a Polygon or MultiPolygon"),
    }
}

fn polygon_of(rings: &Nested) -> anyhow::Result<Polygon<f64>> {
    let Nested::List(rings) = rings else {
        bail!("polygon coordinates must be an array of rings");
    };
    let mut rings = rings.iter().map(ring_of);
    let exterior = rings.next().context("a polygon without rings")??;
    Ok(Polygon::new(
        exterior,
        rings.collect::<anyhow::Result<_>>()?,
    ))
}

fn ring_of(positions: &Nested) -> anyhow::Result<LineString<f64>> {
    let Nested::List(positions) = positions else {
        bail!("a ring must be an array of positions");
    };
    let coords = positions
        .iter()
        .map(|p| match p {
            Nested::Position(c) => Ok(*c),
            Nested::List(_) => bail!("a ring must be an array of positions"),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if coords.len() < 4 {
        bail!(
            "a ring has {} positions; a closed ring needs at least 4",
            coords.len()
        );
    }
    Ok(LineString(coords))
}

/// A district's geometry as GeoJSON text: a `MultiPolygon` geometry object. Coordinates are
/// written in Rust's shortest round-trip form, so [`geometry_from_geojson`] gives back the same
/// `f64`s bit for bit and an index rebuilt from stored text answers exactly as the original.
pub fn geometry_to_geojson(geometry: &MultiPolygon<f64>) -> String {
    let vertices: usize = geometry
        .iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
    let mut out = String::with_capacity(40 + vertices * 24);
    out.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
    for (i, polygon) in geometry.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        for (j, ring) in rings.enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push('[');
            for (k, c) in ring.0.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push('[');
                push_number(&mut out, c.x);
                out.push(',');
                push_number(&mut out, c.y);
                out.push(']');
            }
            out.push(']');
        }
        out.push(']');
    }
    out.push_str("]}");
    out
}

/// Shortest round-trip decimal; JSON has no NaN or infinity, so those become `null` (loaders
/// never produce them: JSON cannot hold them and shapefiles' are refused).
fn push_number(out: &mut String, v: f64) {
    if v.is_finite() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{v}");
    } else {
        out.push_str("null");
    }
}

/// Parses what [`geometry_to_geojson`] wrote; also accepts a `Polygon` geometry or a `Feature`
/// holding either.
pub fn geometry_from_geojson(text: &str) -> anyhow::Result<MultiPolygon<f64>> {
    let object: Object = serde_json::from_str(text).context("parsing GeoJSON")?;
    let geometry = match object.kind.as_str() {
        "Feature" => object
            .geometry
            .as_deref()
            .context("a Feature without geometry")?,
        _ => &object,
    };
    multipolygon_of(geometry)
}

#[cfg(test)]
mod tests {
    use geo::polygon;

    use super::*;

    #[test]
    fn round_trips_bit_for_bit() {
        let awkward = [
            0.1 + 0.2,
            -73.2199,
            1e-300,
            -0.0,
            44.484_000_000_000_01,
            1e21,
        ];
        let ring: Vec<(f64, f64)> = awkward
            .iter()
            .zip(awkward.iter().rev())
            .map(|(&x, &y)| (x, y))
            .collect();
        let geometry = MultiPolygon(vec![
            Polygon::new(
                LineString::from(ring),
                vec![LineString::from(vec![
                    (1., 1.),
                    (2., 1.),
                    (2., 2.),
                    (1., 1.),
                ])],
            ),
            polygon![(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 6.)],
        ]);
        let text = geometry_to_geojson(&geometry);
        let back = geometry_from_geojson(&text).unwrap();
        assert_eq!(back, geometry);
        for (a, b) in back
            .iter()
            .flat_map(|p| p.exterior().coords())
            .zip(geometry.iter().flat_map(|p| p.exterior().coords()))
        {
            assert_eq!(a.x.to_bits(), b.x.to_bits());
            assert_eq!(a.y.to_bits(), b.y.to_bits());
        }
        // And it is GeoJSON that other tools read.
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "MultiPolygon");
    }

    #[test]
    fn reads_polygons_features_and_third_coordinates() {
        let polygon = r#"{"type":"Polygon","coordinates":[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]]}"#;
        assert_eq!(geometry_from_geojson(polygon).unwrap().0.len(), 1);
        let feature = format!(r#"{{"type":"Feature","properties":null,"geometry":{polygon}}}"#);
        assert_eq!(geometry_from_geojson(&feature).unwrap().0.len(), 1);
        for bad in [
            r#"{"type":"Point","coordinates":[0,0]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#,
            r#"{"type":"Polygon","coordinates":[[0,0]]}"#,
            r#"{"type":"Feature","geometry":null}"#,
            "not json",
        ] {
            assert!(geometry_from_geojson(bad).is_err(), "{bad}");
        }
    }
}
