//! People as CSV: import (any common header, de-duplicated like the form, every rejected row
//! reported with its line and reason) and export (our own header, one row per person).

/// Writing people as CSV.
pub mod export;
/// Reading people from CSV files.
pub mod import;

pub use export::{EXPORT_HEADER, person_record};
pub use import::{ImportOptions, ImportSummary, Rejected, import};
