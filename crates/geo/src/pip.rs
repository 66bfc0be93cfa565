//! Exact point-in-polygon for big polygons: each polygon's edges are bucketed into horizontal
//! bands, so a test reads only the few edges near the point's latitude instead of all of them.
//!
//! Nothing is clipped or recomputed: the bands hold the original edges, and every decision is
//! made with exact comparisons and `geo`'s robust orientation predicate. The result is therefore
//! the same as a winding-number test over the whole polygon, done in exact arithmetic:
//!
//! * a point on any edge (or vertex) of the exterior ring is **covered**;
//! * otherwise it is covered when the exterior ring winds around it, unless a hole winds around
//!   it — a point on a hole's edge is covered (it is on the polygon's boundary).
//!
//! That is PostGIS's point-in-polygon rule (`ST_Covers`), which also uses winding numbers and
//! checks holes only for points inside the exterior ring; PostGIS only differs by treating
//! `|cross product| < 1e-12` as "on the line", i.e. for points a hair's breadth from an edge.
//!
//! Why bands and not clipped pieces: clipping a polygon into grid cells creates new vertices at
//! rounded coordinates, which moves the boundary by an ulp and changes answers near cut lines.
//! Bucketing edges keeps the geometry bit-for-bit.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, Polygon};

/// Aim for this many edges per band. The band count is the edge count divided by this, so a
/// 15,000-vertex polygon gets ~1,900 bands; long edges are listed in every band they cross.
const EDGES_PER_BAND: usize = 8;

/// One polygon (exterior ring and holes), prepared for exact point tests.
#[derive(Debug)]
pub(crate) struct BandedPolygon {
    /// Every ring's vertices, exterior first, each ring closed (first vertex repeated last).
    coords: Vec<Coord<f64>>,
    /// Where each ring ends in `coords` (exclusive). An edge starts at index `i` when `i + 1` is
    /// in the same ring; ring 0 is the exterior.
    ring_ends: Vec<u32>,
    /// Bounding box.
    min: Coord<f64>,
    max: Coord<f64>,
    /// Band height; `band_of(y)` maps a latitude to its band.
    band_height: f64,
    band_count: usize,
    /// `band_edges[band_starts[b]..band_starts[b + 1]]` lists, in increasing order, the start
    /// index of every edge whose latitude range meets band `b`.
    band_starts: Vec<u32>,
    band_edges: Vec<u32>,
}

/// What one edge says about a point.
enum EdgeTest {
    /// The point lies on the edge.
    OnEdge,
    /// The edge crosses the rightward ray from the point going up (+1) or down (-1).
    Crossing(i32),
    Miss,
}

impl BandedPolygon {
    /// Prepares `polygon`. Returns `None` for a polygon without a usable exterior ring (fewer
    /// than 3 distinct vertices). Rings are closed here if the source left them open; empty
    /// holes are dropped.
    pub(crate) fn new(polygon: &Polygon<f64>) -> Option<BandedPolygon> {
        let mut coords = Vec::new();
        let mut ring_ends = Vec::new();
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        for (i, ring) in rings.enumerate() {
            let points = &ring.0;
            if points.len() < 3 {
                if i == 0 {
                    return None;
                }
                continue;
            }
            coords.extend_from_slice(points);
            if points.first() != points.last() {
                coords.push(points[0]);
            }
            ring_ends.push(u32::try_from(coords.len()).ok()?);
        }
        let first = *coords.first()?;
        let (mut min, mut max) = (first, first);
        for c in &coords {
            min.x = min.x.min(c.x);
            min.y = min.y.min(c.y);
            max.x = max.x.max(c.x);
            max.y = max.y.max(c.y);
        }
        if !(min.x < max.x && min.y < max.y) {
            // A degenerate exterior ring (a line or a point) covers no area.
            return None;
        }

        let edge_count = coords.len() - ring_ends.len();
        let band_count = edge_count.div_ceil(EDGES_PER_BAND).max(1);
        let mut banded = BandedPolygon {
            coords,
            ring_ends,
            min,
            max,
            band_height: (max.y - min.y) / band_count as f64,
            band_count,
            band_starts: Vec::new(),
            band_edges: Vec::new(),
        };

        // Two passes (count, then fill) build the band lists without a Vec per band.
        let mut counts = vec![0u32; band_count + 1];
        banded.for_each_edge_band(|band, _| counts[band + 1] += 1);
        for b in 0..band_count {
            counts[b + 1] += counts[b];
        }
        let mut next = counts.clone();
        let mut edges = vec![0u32; counts[band_count] as usize];
        banded.for_each_edge_band(|band, edge| {
            edges[next[band] as usize] = edge;
            next[band] += 1;
        });
        banded.band_starts = counts;
        banded.band_edges = edges;
        Some(banded)
    }

    /// Calls `f(band, edge_start)` for every band each edge's latitude range meets, edges in
    /// increasing order.
    fn for_each_edge_band(&self, mut f: impl FnMut(usize, u32)) {
        let mut start = 0usize;
        for &end in &self.ring_ends {
            for i in start..end as usize - 1 {
                let (a, b) = (self.coords[i], self.coords[i + 1]);
                // band_of is monotonic in y, so every y in [min, max] maps into this range.
                for band in self.band_of(a.y.min(b.y))..=self.band_of(a.y.max(b.y)) {
                    f(band, i as u32);
                }
            }
            start = end as usize;
        }
    }

    /// The band holding latitude `y`. Monotonic in `y` (IEEE subtraction, division by a positive
    /// number and truncation all are), which is what makes the bucketing exact.
    #[inline]
    fn band_of(&self, y: f64) -> usize {
        // `as` saturates: below the box gives 0, NaN gives 0.
        (((y - self.min.y) / self.band_height) as usize).min(self.band_count - 1)
    }

    /// The bounding box, `(min, max)`.
    pub(crate) fn bounds(&self) -> (Coord<f64>, Coord<f64>) {
        (self.min, self.max)
    }

    /// Heap bytes held by the vectors.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.coords.capacity() * std::mem::size_of::<Coord<f64>>()
            + (self.ring_ends.capacity() + self.band_starts.capacity() + self.band_edges.capacity())
                * std::mem::size_of::<u32>()
    }

    /// Vertex count, counting each ring's closing vertex.
    pub(crate) fn vertex_count(&self) -> usize {
        self.coords.len()
    }

    /// Whether the closed polygon (interior and boundary) contains `p`.
    pub(crate) fn covers(&self, p: Coord<f64>) -> bool {
        if !(self.min.x <= p.x && p.x <= self.max.x && self.min.y <= p.y && p.y <= self.max.y) {
            return false;
        }
        let band = self.band_of(p.y);
        let edges =
            &self.band_edges[self.band_starts[band] as usize..self.band_starts[band + 1] as usize];

        let mut ring = 0usize;
        let mut ring_end = self.ring_ends[0];
        let mut winding = 0i32;
        let mut exterior_winding = 0i32;
        let mut inside_hole = false;
        let mut on_hole_edge = false;
        for &edge in edges {
            while edge >= ring_end {
                // Leaving `ring`: record what it said. Rings absent from the band have winding 0.
                if ring == 0 {
                    exterior_winding = winding;
                } else if winding != 0 {
                    inside_hole = true;
                }
                winding = 0;
                ring += 1;
                ring_end = self.ring_ends[ring];
            }
            let i = edge as usize;
            match test_edge(self.coords[i], self.coords[i + 1], p) {
                EdgeTest::OnEdge if ring == 0 => return true,
                EdgeTest::OnEdge => on_hole_edge = true,
                EdgeTest::Crossing(w) => winding += w,
                EdgeTest::Miss => {}
            }
        }
        if ring == 0 {
            exterior_winding = winding;
        } else if winding != 0 {
            inside_hole = true;
        }
        exterior_winding != 0 && (on_hole_edge || !inside_hole)
    }
}

/// Tests edge `a`→`b` against point `p` and the ray from `p` towards +x, exactly. An edge counts
/// as crossing when it spans `p.y` half-open (one end at or below, the other above), which
/// counts a crossing through a vertex once.
#[inline]
fn test_edge(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> EdgeTest {
    let a_above = a.y > p.y;
    let b_above = b.y > p.y;
    if a_above == b_above {
        // No half-open crossing. The edge can still touch p's latitude at or from below.
        if a_above || (a.y < p.y && b.y < p.y) {
            return EdgeTest::Miss;
        }
        if a.y == p.y && b.y == p.y {
            // Horizontal at p's latitude.
            return if a.x.min(b.x) <= p.x && p.x <= a.x.max(b.x) {
                EdgeTest::OnEdge
            } else {
                EdgeTest::Miss
            };
        }
        // One end is at p's latitude, the other below: p is on the edge only at that end.
        return if (a.y == p.y && a.x == p.x) || (b.y == p.y && b.x == p.x) {
            EdgeTest::OnEdge
        } else {
            EdgeTest::Miss
        };
    }
    let upward = b_above;
    if p.x > a.x.max(b.x) {
        // Entirely to the left: neither crossed by the rightward ray nor touching p.
        return EdgeTest::Miss;
    }
    if p.x < a.x.min(b.x) {
        // Entirely to the right of p and spanning its latitude: crossed, and p is not on it.
        return EdgeTest::Crossing(if upward { 1 } else { -1 });
    }
    match RobustKernel::orient2d(a, b, p) {
        Orientation::Collinear => EdgeTest::OnEdge,
        // p left of an upward edge, or right of a downward one: the ray crosses it.
        Orientation::CounterClockwise if upward => EdgeTest::Crossing(1),
        Orientation::Clockwise if !upward => EdgeTest::Crossing(-1),
        _ => EdgeTest::Miss,
    }
}

#[cfg(test)]
mod tests {
    use geo::{Contains, Intersects, LineString, coord, polygon};

    use super::*;

    fn square_with_hole() -> Polygon<f64> {
        Polygon::new(
            LineString::from(vec![(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]),
            vec![LineString::from(vec![
                (3., 3.),
                (3., 7.),
                (7., 7.),
                (7., 3.),
                (3., 3.),
            ])],
        )
    }

    #[test]
    fn boundary_and_holes_follow_the_closed_rule() {
        let poly = BandedPolygon::new(&square_with_hole()).unwrap();
        let covers = |x, y| poly.covers(coord! { x: x, y: y });
        assert!(covers(1., 1.));
        assert!(!covers(5., 5.), "inside the hole");
        assert!(covers(3., 5.), "on the hole's edge");
        assert!(covers(3., 3.), "on the hole's corner");
        assert!(covers(0., 5.), "on the exterior's edge");
        assert!(covers(10., 10.), "on the exterior's corner");
        assert!(covers(5., 0.), "on a horizontal edge");
        assert!(!covers(10.000001, 5.));
        assert!(!covers(-1., 5.));
        assert!(!covers(f64::NAN, 5.));
    }

    #[test]
    fn triangles_and_degenerate_rings() {
        let triangle = polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 0., y: 4.)];
        let banded = BandedPolygon::new(&triangle).unwrap();
        assert!(banded.covers(coord! { x: 1., y: 1. }));
        assert!(banded.covers(coord! { x: 2., y: 2. }), "on the hypotenuse");
        assert!(!banded.covers(coord! { x: 2.1, y: 2. }));
        let flat = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 2., y: 0.)];
        assert!(BandedPolygon::new(&flat).is_none());
    }

    /// A spiky 2,000-vertex polygon against geo's own predicates, at random points and at every
    /// vertex and edge midpoint (points on the boundary, where the rule matters).
    #[test]
    fn agrees_with_geo_on_a_big_polygon() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        let n = 2000;
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let angle = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = 5.0 + 4.0 * next();
                (r * angle.cos(), r * angle.sin())
            })
            .collect();
        let hole = vec![(-1., -1.), (1., -1.), (1., 1.), (-1., 1.)];
        let polygon = Polygon::new(LineString::from(ring.clone()), vec![LineString::from(hole)]);
        let banded = BandedPolygon::new(&polygon).unwrap();
        assert!(banded.band_count > 100);

        let mut points: Vec<Coord<f64>> = (0..20_000)
            .map(|_| coord! { x: next() * 20.0 - 10.0, y: next() * 20.0 - 10.0 })
            .collect();
        for w in ring.windows(2) {
            points.push(coord! { x: w[0].0, y: w[0].1 });
            points.push(coord! { x: (w[0].0 + w[1].0) / 2.0, y: (w[0].1 + w[1].1) / 2.0 });
        }
        for p in points {
            // `Intersects` is geo's closed test (boundary included), `Contains` the open one.
            let expected = polygon.intersects(&p);
            assert_eq!(banded.covers(p), expected, "{p:?}");
            if banded.covers(p) && !polygon.contains(&p) {
                assert!(polygon.exterior().intersects(&p) || polygon.interiors()[0].intersects(&p));
            }
        }
    }
}
