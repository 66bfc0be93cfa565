//! Pages anyone can reach.

/// The stylesheet, compiled into the binary.
pub mod assets;
/// `GET /join`, `POST /join`, `GET /join/thanks`.
pub mod join;
/// `/numbers`: headline counts.
pub mod numbers;
/// The thank-you page's partner choice (`GET /join/thanks`, `POST /join/partners`).
pub mod partners;
