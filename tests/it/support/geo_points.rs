//! Random points over the states of a loaded district set, shared by the PostGIS comparison test
//! (`tests/it/geo_postgis.rs`) and the lookup benchmark (`benches/geo_lookup.rs`).

use std::collections::HashMap;

use downballot_geo::LoadReport;

/// xorshift64*: the same points on every run.
pub struct Rng(pub u64);

impl Rng {
    /// In [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Each state's bounding box `(min_lon, min_lat, max_lon, max_lat)`, from its own layers.
pub fn state_boxes(report: &LoadReport) -> Vec<[f64; 4]> {
    let mut boxes: HashMap<&str, [f64; 4]> = HashMap::new();
    for layer in report.layers.iter().filter(|l| !l.id.starts_with("us/")) {
        for district in &layer.districts {
            let b = boxes.entry(&district.state).or_insert([
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ]);
            for c in district.geometry.iter().flat_map(|p| p.exterior().coords()) {
                *b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
            }
        }
    }
    let mut boxes: Vec<(&str, [f64; 4])> = boxes.into_iter().collect();
    boxes.sort_by(|a, b| a.0.cmp(b.0));
    boxes.into_iter().map(|(_, b)| b).collect()
}

/// `n` points `(lon, lat)` uniform over the union of `boxes`: a box chosen by area, a point in
/// it, kept with probability 1 / (boxes holding it) so overlaps are not oversampled.
pub fn random_points(boxes: &[[f64; 4]], n: usize, rng: &mut Rng) -> Vec<(f64, f64)> {
    let areas: Vec<f64> = boxes
        .iter()
        .map(|b| (b[2] - b[0]) * (b[3] - b[1]))
        .collect();
    let total: f64 = areas.iter().sum();
    let mut points = Vec::with_capacity(n);
    while points.len() < n {
        let mut pick = rng.next_f64() * total;
        let b = boxes
            .iter()
            .zip(&areas)
            .find(|(_, a)| {
                pick -= **a;
                pick < 0.0
            })
            .map_or(boxes[boxes.len() - 1], |(b, _)| *b);
        let p = (
            b[0] + rng.next_f64() * (b[2] - b[0]),
            b[1] + rng.next_f64() * (b[3] - b[1]),
        );
        let holding = boxes
            .iter()
            .filter(|b| b[0] <= p.0 && p.0 <= b[2] && b[1] <= p.1 && p.1 <= b[3])
            .count();
        if rng.next_f64() * holding as f64 <= 1.0 {
            points.push(p);
        }
    }
    points
}
