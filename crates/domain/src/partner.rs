//! Partner organizations: what they offer, who they may receive (eligibility rules evaluated on
//! a person), how they share, and the stages of the candidate pipeline.

use crate::signup::{Interest, Office};

crate::keyword_enum! {
    /// What a partner offers recruits.
    pub enum Offer {
        Training => "training",
        Mentoring => "mentoring",
        Endorsement => "endorsement",
        Funding => "funding",
    }
}

crate::keyword_enum! {
    /// Which eligible people a partner may be offered (Action Network's co-sponsor modes).
    pub enum ShareMode {
        /// Everyone the rules make eligible.
        Eligible => "eligible",
        /// Only people who came through the partner's own link (`/join?referrer=<slug>`).
        ReferredOnly => "referred_only",
    }
}

crate::keyword_enum! {
    /// A referral's stage in the candidate pipeline.
    pub enum Stage {
        New => "new",
        Contacted => "contacted",
        IntroCall => "intro_call",
        InTraining => "in_training",
        Filed => "filed",
        OnBallot => "on_ballot",
        Won => "won",
        Lost => "lost",
        Withdrew => "withdrew",
        NotEligible => "not_eligible",
        Unreachable => "unreachable",
    }
}

impl Stage {
    /// Human label: `Intro call`, `On the ballot`.
    pub fn label(self) -> &'static str {
        match self {
            Stage::New => "New",
            Stage::Contacted => "Contacted",
            Stage::IntroCall => "Intro call",
            Stage::InTraining => "In training",
            Stage::Filed => "Filed",
            Stage::OnBallot => "On the ballot",
            Stage::Won => "Won",
            Stage::Lost => "Lost",
            Stage::Withdrew => "Withdrew",
            Stage::NotEligible => "Not eligible",
            Stage::Unreachable => "Unreachable",
        }
    }

    /// Whether a referral at this stage has been contacted at least once.
    pub fn contacted(self) -> bool {
        !matches!(self, Stage::New)
    }

    /// Whether this stage means the person got onto the ballot (on it, or past it).
    pub fn reached_ballot(self) -> bool {
        matches!(self, Stage::OnBallot | Stage::Won | Stage::Lost)
    }
}

/// Who a partner may receive. Every empty list means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Eligibility {
    /// Upper-case USPS codes.
    pub states: Vec<String>,
    /// Office kinds (the sign-up form's `offices`), any one of which must be ticked.
    pub offices: Vec<Office>,
    /// `run` also takes `both`; `volunteer` also takes `both`.
    pub interests: Vec<Interest>,
    /// Born in or after this year (e.g. 1984 for "35 or younger in 2019").
    pub born_from: Option<i32>,
    /// Born in or before this year.
    pub born_to: Option<i32>,
    /// Language codes (`en`, `es`) of the sign-up.
    pub languages: Vec<String>,
}

/// What the rules look at.
#[derive(Clone, Debug, Default)]
pub struct Prospect<'a> {
    pub region: &'a str,
    pub offices: Vec<Office>,
    pub interest: Option<Interest>,
    pub birth_year: Option<i32>,
    /// Languages of the person's sign-ups.
    pub languages: Vec<&'a str>,
}

impl Eligibility {
    /// Whether the person meets every rule. A rule on birth year excludes people who did not
    /// give one: a partner for young candidates should not receive people of unknown age.
    pub fn admits(&self, p: &Prospect<'_>) -> bool {
        let states =
            self.states.is_empty() || self.states.iter().any(|s| s.eq_ignore_ascii_case(p.region));
        let offices = self.offices.is_empty() || self.offices.iter().any(|o| p.offices.contains(o));
        let interests = self.interests.is_empty()
            || p.interest.is_some_and(|i| {
                self.interests.iter().any(|want| match want {
                    Interest::Run => i.wants_to_run(),
                    Interest::Volunteer => i.wants_to_volunteer(),
                    Interest::Both => i == Interest::Both,
                })
            });
        let born = match (self.born_from, self.born_to, p.birth_year) {
            (None, None, _) => true,
            (_, _, None) => false,
            (from, to, Some(y)) => from.is_none_or(|f| y >= f) && to.is_none_or(|t| y <= t),
        };
        let languages = self.languages.is_empty()
            || p.languages
                .iter()
                .any(|l| self.languages.iter().any(|w| w.eq_ignore_ascii_case(l)));
        states && offices && interests && born && languages
    }

    /// One line for pages: `OH, PA · run · born 1984 or later · en, es`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.states.is_empty() {
            parts.push(self.states.join(", "));
        }
        if !self.offices.is_empty() {
            parts.push(
                self.offices
                    .iter()
                    .map(|o| o.as_str().replace('_', " "))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if !self.interests.is_empty() {
            parts.push(
                self.interests
                    .iter()
                    .map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        match (self.born_from, self.born_to) {
            (Some(f), Some(t)) => parts.push(format!("born {f}–{t}")),
            (Some(f), None) => parts.push(format!("born {f} or later")),
            (None, Some(t)) => parts.push(format!("born {t} or earlier")),
            (None, None) => {}
        }
        if !self.languages.is_empty() {
            parts.push(self.languages.join(", "));
        }
        if parts.is_empty() {
            "everyone".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// A comma list of keywords, each parsed; an unknown one is an error naming it.
pub fn parse_list<T>(
    s: &str,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<Vec<T>, String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| parse(x).ok_or_else(|| format!("unknown {what} {x:?}")))
        .collect()
}

/// A partner's URL key: lower-case letters, digits and dashes, 2 to 40 characters.
pub fn parse_slug(s: &str) -> Result<String, String> {
    let s = s.trim().to_ascii_lowercase();
    let ok = (2..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s)
    } else {
        Err("Use 2 to 40 lower-case letters, digits and dashes for the short name".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prospect<'a>(region: &'a str, interest: Interest, birth: Option<i32>) -> Prospect<'a> {
        Prospect {
            region,
            offices: vec![Office::SchoolBoard],
            interest: Some(interest),
            birth_year: birth,
            languages: vec!["en"],
        }
    }

    #[test]
    fn empty_rules_admit_everyone() {
        assert!(Eligibility::default().admits(&prospect("OH", Interest::Volunteer, None)));
        assert_eq!(Eligibility::default().describe(), "everyone");
    }

    #[test]
    fn each_rule_narrows() {
        let rules = Eligibility {
            states: vec!["OH".into(), "PA".into()],
            offices: vec![Office::SchoolBoard, Office::County],
            interests: vec![Interest::Run],
            born_from: Some(1984),
            born_to: None,
            languages: vec!["en".into()],
        };
        assert!(rules.admits(&prospect("oh", Interest::Run, Some(1990))));
        assert!(
            rules.admits(&prospect("PA", Interest::Both, Some(1984))),
            "both counts as run"
        );
        assert!(
            !rules.admits(&prospect("VT", Interest::Run, Some(1990))),
            "state"
        );
        assert!(
            !rules.admits(&prospect("OH", Interest::Volunteer, Some(1990))),
            "interest"
        );
        assert!(
            !rules.admits(&prospect("OH", Interest::Run, Some(1983))),
            "too old"
        );
        assert!(
            !rules.admits(&prospect("OH", Interest::Run, None)),
            "age unknown"
        );
        let mut es = prospect("OH", Interest::Run, Some(1990));
        es.languages = vec!["es"];
        assert!(!rules.admits(&es), "language");
        let mut mayor = prospect("OH", Interest::Run, Some(1990));
        mayor.offices = vec![Office::Municipal];
        assert!(!rules.admits(&mayor), "office");
        assert_eq!(
            rules.describe(),
            "OH, PA · school board, county · run · born 1984 or later · en"
        );
    }

    #[test]
    fn lists_and_slugs_parse() {
        assert_eq!(
            parse_list("training, mentoring", Offer::parse, "offer").unwrap(),
            vec![Offer::Training, Offer::Mentoring]
        );
        assert!(
            parse_list("training, cake", Offer::parse, "offer")
                .unwrap_err()
                .contains("cake")
        );
        assert_eq!(
            parse_slug(" Run-For-Something ").unwrap(),
            "run-for-something"
        );
        assert!(parse_slug("a").is_err());
        assert!(parse_slug("no spaces").is_err());
    }

    #[test]
    fn stages() {
        assert_eq!(Stage::parse("intro_call"), Some(Stage::IntroCall));
        assert!(!Stage::New.contacted() && Stage::Contacted.contacted());
        assert!(Stage::Won.reached_ballot() && !Stage::Filed.reached_ballot());
    }
}
