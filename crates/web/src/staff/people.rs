//! The people list with search and filters, and the CSV export with the same filters.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use downballot_csv::export::{EXPORT_HEADER, csv_line, person_record};
use downballot_domain::address::StateCode;
use downballot_domain::signup::{Interest, Office};
use downballot_store::PeopleFilter;
use downballot_store::model::{Person, now_millis};
use futures::StreamExt;

use super::{Choice, Nav};
use crate::AppState;
use crate::auth::Staff;
use crate::error::PageError;

const PAGE_SIZE: i64 = 50;

/// The list's query string, exactly as typed (so the form keeps it).
#[derive(serde::Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub interest: String,
    #[serde(default)]
    pub office: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub source: String,
    /// An OCD-ID: people who live in that division.
    #[serde(default)]
    pub division: String,
    #[serde(default)]
    pub page: Option<i64>,
}

impl ListQuery {
    /// Checks the filters; an unknown value is an error the page shows, not a silent no-op.
    pub fn filter(&self) -> Result<PeopleFilter, String> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let region = match some(&self.region) {
            Some(r) => Some(
                StateCode::parse(&r)
                    .map_err(|_| format!("Unknown state {r:?}"))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let interest = match some(&self.interest) {
            Some(i) => Some(
                Interest::parse(&i)
                    .ok_or_else(|| format!("Unknown interest {i:?}"))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let office = match some(&self.office) {
            Some(o) => Some(
                Office::parse(&o)
                    .ok_or_else(|| format!("Unknown office {o:?}"))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let day = |s: &str, name: &str| -> Result<Option<i64>, String> {
            match some(s) {
                Some(d) => crate::view::parse_day(&d)
                    .map(Some)
                    .ok_or_else(|| format!("The {name} date must look like 2026-11-23")),
                None => Ok(None),
            }
        };
        Ok(PeopleFilter {
            q: some(&self.q),
            region,
            interest,
            office,
            from: day(&self.from, "from")?,
            // "to" is inclusive of the whole day
            to: day(&self.to, "to")?.map(|t| t + 86_400_000),
            source: some(&self.source),
            division: match some(&self.division) {
                Some(d) if d.starts_with("ocd-division/") => Some(d.to_lowercase()),
                Some(d) => {
                    return Err(format!(
                        "A division is an OCD-ID like ocd-division/country:us/state:oh/sldl:12, not {d:?}"
                    ));
                }
                None => None,
            },
        })
    }

    /// The query string for another page, or for the export link.
    pub fn query_string(&self, page: Option<i64>) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("region", &self.region),
            ("interest", &self.interest),
            ("office", &self.office),
            ("from", &self.from),
            ("to", &self.to),
            ("source", &self.source),
            ("division", &self.division),
        ] {
            if !v.trim().is_empty() {
                s.append_pair(k, v);
            }
        }
        if let Some(p) = page {
            s.append_pair("page", &p.to_string());
        }
        s.finish()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people.html")]
pub struct PeoplePage {
    pub nav: Nav,
    pub query: ListQuery,
    pub error: Option<String>,
    pub people: Vec<Person>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub states: Vec<Choice>,
    pub offices: Vec<Choice>,
}

impl PeoplePage {
    pub fn prev_href(&self) -> String {
        format!(
            "/staff/people?{}",
            self.query.query_string(Some(self.page - 1))
        )
    }
    pub fn next_href(&self) -> String {
        format!(
            "/staff/people?{}",
            self.query.query_string(Some(self.page + 1))
        )
    }
    pub fn export_href(&self) -> String {
        format!("/staff/people/export.csv?{}", self.query.query_string(None))
    }
}

pub async fn list(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<PeoplePage, PageError> {
    let page = query.page.unwrap_or(1).max(1);
    let (people, total, error) = match query.filter() {
        Ok(filter) => {
            let (people, total) = state
                .store
                .list_people(&filter, PAGE_SIZE, (page - 1) * PAGE_SIZE)
                .await?;
            (people, total, None)
        }
        Err(e) => (Vec::new(), 0, Some(e)),
    };
    Ok(PeoplePage {
        nav: Nav::new(&staff, "people"),
        query,
        error,
        people,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        states: StateCode::all()
            .map(|s| Choice {
                value: s.as_str().to_string(),
                label: format!("{} ({})", s.name(), s.as_str()),
            })
            .collect(),
        offices: Office::ALL
            .iter()
            .map(|o| Choice {
                value: o.as_str().to_string(),
                label: o.as_str().replace('_', " "),
            })
            .collect(),
    })
}

/// Streams the filtered people as CSV in constant memory; the export itself is audited.
pub async fn export(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let filter = query.filter().map_err(PageError::BadRequest)?;
    state
        .store
        .audit(
            staff.user.user_id,
            "export",
            None,
            Some(format!("people export.csv?{}", query.query_string(None))),
            now_millis(),
        )
        .await?;
    let rows = state.store.export_people(&filter);
    let header = futures::stream::once(async { Ok::<_, std::io::Error>(csv_line(EXPORT_HEADER)) });
    let body = tokio_stream_from(rows).map(|r| {
        r.map(|p| csv_line(person_record(&p)))
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    });
    let stream = header.chain(body);
    let name = format!(
        "people-{}.csv",
        crate::view::datetime(now_millis())
            .get(..10)
            .unwrap_or("export")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
