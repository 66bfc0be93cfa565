//! Helpers shared by the integration tests: throwaway servers and browsers.
#[allow(
    dead_code,
    reason = "accessors for debugging failures; not every test uses each"
)]
pub mod browser;
pub mod geo_points;
#[allow(
    dead_code,
    reason = "accessors for debugging failures; not every test uses each"
)]
pub mod pg;
