//! Pages anyone can reach.

/// The stylesheet, compiled into the binary.
pub mod assets;
/// `GET /join`, `POST /join`, `GET /join/thanks`.
pub mod join;
