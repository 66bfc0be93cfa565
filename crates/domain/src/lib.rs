//! Domain types that parse: the values a sign-up is made of, and the form that checks them.
//!
//! Everything here is plain data and pure functions (no I/O, no clock, no database), so the
//! web layer, the store and the importers share one definition of "a valid sign-up". Each
//! value type has one constructor that checks (`Email::parse`, `PostalCode::parse`, …): code
//! that holds one never has to check it again.
//!
//! - [`signup`]: the public form, as typed ([`signup::SignupInput`]) and as checked
//!   ([`signup::Signup`]), with [`signup::parse_signup`] between them.
//! - [`contact`]: e-mail addresses and phone numbers, our two ways to reach (and dedupe) a person.
//! - [`address`]: states and territories, and ZIP codes looked up in the embedded ZIP database.
//! - [`text`]: the clean-up every free-text field goes through, and the length caps.
//! - [`i18n`]: English and Spanish wording of the public pages and of the consent checkboxes.
//! - [`ids`] and [`staff`]: typed ids and back-office roles.

pub mod address;
pub mod contact;
pub mod i18n;
pub mod ids;
pub mod partner;
pub mod signup;
pub mod staff;
pub mod text;

/// Loads the ZIP and phone-number databases now rather than on the first sign-up.
///
/// Both are embedded compressed and decoded on first use, which takes long enough to time
/// out an unlucky first request; a server calls this once at start.
pub fn warm_up() {
    address::warm_up();
    contact::warm_up();
}

/// Declares a closed set of keywords (an enum whose values travel as short snake_case strings
/// in forms, URLs, JSON and database columns) with `as_str`, `parse`, `ALL`, `Display` and
/// serde, all generated from one list so the spellings cannot drift apart.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in the order forms list them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The keyword used in forms, URLs, JSON and storage.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Reads a keyword; surrounding spaces and ASCII case are forgiven because
            /// hand-edited imports and URLs get them wrong.
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use keyword_enum;
