//! Districts in the database: boundary layers (the index is rebuilt from them), the OCD-ID
//! catalog, and each person's point and divisions.

use anyhow::Result;
use uuid::Uuid;

use crate::Store;
use crate::model::*;
use crate::value::{Statement, Value};

/// The insert of one of a person's divisions, with [`division_params`].
pub(crate) const DIVISION_INSERT: &str = "INSERT INTO person_division (person_id, ocd_id, kind, layer_id, map) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT DO NOTHING";

pub(crate) fn division_params(id: Uuid, d: &DivisionRef) -> Vec<Value> {
    vec![
        id.into(),
        d.ocd_id.clone().into(),
        d.kind.clone().into(),
        d.layer_id.clone().into(),
        d.map.clone().into(),
    ]
}

/// Inserts of one person's divisions.
pub(crate) fn division_inserts(id: Uuid, divisions: &[DivisionRef]) -> Vec<Statement> {
    divisions
        .iter()
        .map(|d| Statement::new(DIVISION_INSERT, division_params(id, d)))
        .collect()
}

/// Statements that set each person's location and replace their divisions (re-resolving).
pub(crate) fn location_statements(locations: &[(Uuid, Location, Millis)]) -> Vec<Statement> {
    let mut out = Vec::new();
    for (id, loc, at) in locations {
        out.push(Statement::new(
            "UPDATE person SET latitude = $2, longitude = $3, location_accuracy = $4, located_at = $5 WHERE person_id = $1",
            vec![(*id).into(), loc.lat.into(), loc.lon.into(), loc.accuracy.into(), (*at).into()],
        ));
        out.push(Statement::new(
            "DELETE FROM person_division WHERE person_id = $1",
            vec![(*id).into()],
        ));
        out.extend(division_inserts(*id, &loc.divisions));
    }
    out
}

impl Store {
    /// Replaces each given layer (same `layer_id`) whole, in one transaction.
    pub async fn replace_layers(&self, layers: &[BoundaryLayer], now: Millis) -> Result<()> {
        let mut statements = Vec::new();
        for l in layers {
            statements.push(Statement::new(
                "DELETE FROM boundary WHERE layer_id = $1",
                vec![l.layer_id.clone().into()],
            ));
            statements.push(Statement::new(
                "DELETE FROM boundary_layer WHERE layer_id = $1",
                vec![l.layer_id.clone().into()],
            ));
            statements.push(Statement::new(
                "INSERT INTO boundary_layer (layer_id, kind, map, valid_from, valid_through, source, districts, imported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                vec![
                    l.layer_id.clone().into(),
                    l.kind.clone().into(),
                    l.map.clone().into(),
                    l.valid_from.clone().into(),
                    l.valid_through.clone().into(),
                    l.source.clone().into(),
                    (l.districts.len() as i64).into(),
                    now.into(),
                ],
            ));
            for d in &l.districts {
                statements.push(Statement::new(
                    "INSERT INTO boundary (layer_id, ocd_id, name, geometry) VALUES ($1, $2, $3, $4)",
                    vec![
                        l.layer_id.clone().into(),
                        d.ocd_id.clone().into(),
                        d.name.clone().into(),
                        d.geometry.clone().into(),
                    ],
                ));
            }
        }
        self.transaction(statements).await?;
        Ok(())
    }

    pub async fn layer_summaries(&self) -> Result<Vec<LayerSummary>> {
        self.query(
            "SELECT layer_id, kind, map, valid_from, valid_through, districts, imported_at FROM boundary_layer ORDER BY layer_id"
                .into(),
            vec![],
            |r| {
                Ok(LayerSummary {
                    layer_id: r.req_text(0)?,
                    kind: r.req_text(1)?,
                    map: r.req_text(2)?,
                    valid_from: r.text(3)?,
                    valid_through: r.text(4)?,
                    districts: r.req_int(5)?,
                    imported_at: r.req_int(6)?,
                })
            },
        )
        .await
    }

    /// Every stored layer with its districts' geometry, to build the lookup index.
    pub async fn boundary_layers(&self) -> Result<Vec<BoundaryLayer>> {
        let summaries = self.layer_summaries().await?;
        let mut layers = Vec::with_capacity(summaries.len());
        for s in summaries {
            let districts = self
                .query(
                    "SELECT ocd_id, name, geometry FROM boundary WHERE layer_id = $1 ORDER BY ocd_id".into(),
                    vec![s.layer_id.clone().into()],
                    |r| {
                        Ok(BoundaryDistrict {
                            ocd_id: r.req_text(0)?,
                            name: r.text(1)?,
                            geometry: r.req_text(2)?,
                        })
                    },
                )
                .await?;
            layers.push(BoundaryLayer {
                layer_id: s.layer_id,
                kind: s.kind,
                map: s.map,
                valid_from: s.valid_from,
                valid_through: s.valid_through,
                source: String::new(),
                districts,
            });
        }
        Ok(layers)
    }

    /// A number that changes whenever boundaries are imported, so servers know to rebuild.
    pub async fn boundaries_version(&self) -> Result<(i64, i64)> {
        let v = self
            .query(
                "SELECT COUNT(*), COALESCE(MAX(imported_at), 0) FROM boundary_layer".into(),
                vec![],
                |r| Ok((r.req_int(0)?, r.req_int(1)?)),
            )
            .await?;
        Ok(v.first().copied().unwrap_or((0, 0)))
    }

    /// Inserts or updates catalog entries.
    pub async fn upsert_catalog(&self, divisions: &[CatalogDivision]) -> Result<()> {
        let statements = divisions
            .iter()
            .map(|d| {
                Statement::new(
                    "INSERT INTO division (ocd_id, name, valid_from, valid_through) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (ocd_id) DO UPDATE SET name = excluded.name, valid_from = excluded.valid_from, \
                     valid_through = excluded.valid_through",
                    vec![
                        d.ocd_id.clone().into(),
                        d.name.clone().into(),
                        d.valid_from.clone().into(),
                        d.valid_through.clone().into(),
                    ],
                )
            })
            .collect();
        self.transaction(statements).await?;
        Ok(())
    }

    /// Which of `ids` the catalog knows, with their names.
    pub async fn catalog_entries(&self) -> Result<Vec<CatalogDivision>> {
        self.query(
            "SELECT ocd_id, name, valid_from, valid_through FROM division ORDER BY ocd_id".into(),
            vec![],
            |r| {
                Ok(CatalogDivision {
                    ocd_id: r.req_text(0)?,
                    name: r.req_text(1)?,
                    valid_from: r.text(2)?,
                    valid_through: r.text(3)?,
                })
            },
        )
        .await
    }

    /// The catalog entries whose OCD-ID starts with `prefix` (one state's divisions).
    pub async fn catalog_under(&self, prefix: &str) -> Result<Vec<CatalogDivision>> {
        self.query(
            "SELECT ocd_id, name, valid_from, valid_through FROM division WHERE ocd_id LIKE $1 ESCAPE '\\' \
             ORDER BY ocd_id"
                .into(),
            vec![format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")).into()],
            |r| {
                Ok(CatalogDivision {
                    ocd_id: r.req_text(0)?,
                    name: r.req_text(1)?,
                    valid_from: r.text(2)?,
                    valid_through: r.text(3)?,
                })
            },
        )
        .await
    }

    pub async fn person_divisions(&self, person_id: Uuid) -> Result<Vec<PersonDivision>> {
        self.query(
            "SELECT p.ocd_id, p.kind, p.layer_id, p.map, d.name FROM person_division p \
             LEFT JOIN division d ON d.ocd_id = p.ocd_id WHERE p.person_id = $1 ORDER BY p.kind, p.ocd_id"
                .into(),
            vec![person_id.into()],
            |r| {
                Ok(PersonDivision {
                    ocd_id: r.req_text(0)?,
                    kind: r.req_text(1)?,
                    layer_id: r.req_text(2)?,
                    map: r.req_text(3)?,
                    name: r.text(4)?,
                })
            },
        )
        .await
    }

    /// The person's stored point: (lat, lon, accuracy).
    pub async fn person_location(&self, person_id: Uuid) -> Result<Option<(f64, f64, String)>> {
        Ok(self
            .query_one(
                "SELECT latitude, longitude, location_accuracy FROM person WHERE person_id = $1"
                    .into(),
                vec![person_id.into()],
                |r| Ok((r.float(0)?, r.float(1)?, r.text(2)?)),
            )
            .await?
            .and_then(|(lat, lon, acc)| Some((lat?, lon?, acc?))))
    }

    /// People in id order after `after`, for re-resolving everyone in pages.
    pub async fn people_points(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<PersonPoint>> {
        let (wh, mut params): (&str, Vec<Value>) = match after {
            Some(a) => ("AND person_id > $2", vec![a.into()]),
            None => ("", vec![]),
        };
        params.insert(0, limit.into());
        self.query(
            format!(
                "SELECT person_id, postal_code, latitude, longitude, location_accuracy FROM person \
                 WHERE merged_into IS NULL {wh} ORDER BY person_id LIMIT $1"
            ),
            params,
            |r| {
                Ok(PersonPoint {
                    person_id: r.req_uuid(0)?,
                    postal_code: r.req_text(1)?,
                    lat: r.float(2)?,
                    lon: r.float(3)?,
                    accuracy: r.text(4)?,
                })
            },
        )
        .await
    }

    /// Sets locations and replaces divisions for many people in one transaction.
    pub async fn set_locations(&self, locations: &[(Uuid, Location)], now: Millis) -> Result<()> {
        let rows: Vec<(Uuid, Location, Millis)> = locations
            .iter()
            .map(|(id, l)| (*id, l.clone(), now))
            .collect();
        self.transaction(location_statements(&rows)).await?;
        Ok(())
    }
}
