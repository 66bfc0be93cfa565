//! Helpers shared by the integration tests: throwaway servers and browsers.
pub mod browser;
pub mod pg;
