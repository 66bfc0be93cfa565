//! Typed ids: one newtype over [`Uuid`] per kind of record, so ids cannot be mixed up.
//!
//! New ids are UUIDv7: they sort by creation time, which keeps database indexes append-only
//! and lets "newest first" fall out of ordering by id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            #[expect(
                clippy::new_without_default,
                reason = "a Default that mints a fresh id would surprise; call new() on purpose"
            )]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            /// The hyphenated lower-case form, as in URLs and logs.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

typed_id!(
    /// A person: everyone who ever signed up, after their submissions are folded together.
    PersonId
);
typed_id!(
    /// One sign-up as received, kept even when it is folded into an existing person.
    SubmissionId
);
typed_id!(
    /// A staff account in the back office.
    UserId
);
typed_id!(
    /// A suspected duplicate pair of people, waiting for a person to decide.
    MergeCandidateId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_from_str_round_trip() {
        let id = PersonId::new();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text, text.to_lowercase());
        assert_eq!(text.parse::<PersonId>().unwrap(), id);
        assert!("not-a-uuid".parse::<PersonId>().is_err());
    }

    #[test]
    fn new_ids_are_v7_and_ordered() {
        let a = SubmissionId::new();
        let b = SubmissionId::new();
        assert_eq!(a.0.get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn serde_is_a_plain_string() {
        let id = UserId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
    }
}
