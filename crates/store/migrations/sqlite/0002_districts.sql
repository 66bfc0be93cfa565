-- Districts: imported boundary layers (one per map: state + chamber + vintage), their districts'
-- geometry as GeoJSON text (the in-memory index is rebuilt from it), the OCD-ID catalog for
-- human names, and for each person the point used and the divisions it falls in.

CREATE TABLE boundary_layer (
    layer_id      TEXT PRIMARY KEY,   -- e.g. oh/sldl/2012
    kind          TEXT NOT NULL,      -- cd | sldl | sldu
    map           TEXT NOT NULL,      -- vintage: which map, e.g. 2012
    valid_from    TEXT,
    valid_through TEXT,
    source        TEXT NOT NULL,      -- the path it was imported from
    districts     INTEGER NOT NULL,
    imported_at   INTEGER NOT NULL
);

CREATE TABLE boundary (
    layer_id TEXT NOT NULL REFERENCES boundary_layer (layer_id) ON DELETE CASCADE,
    ocd_id   TEXT NOT NULL,
    name     TEXT,
    geometry TEXT NOT NULL,           -- GeoJSON MultiPolygon, WGS84
    PRIMARY KEY (layer_id, ocd_id)
);

CREATE TABLE division (
    ocd_id        TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    valid_from    TEXT,
    valid_through TEXT
);

ALTER TABLE person ADD COLUMN latitude REAL;
ALTER TABLE person ADD COLUMN longitude REAL;
ALTER TABLE person ADD COLUMN location_accuracy TEXT;   -- approximate (ZIP centroid) | precise
ALTER TABLE person ADD COLUMN located_at INTEGER;

CREATE TABLE person_division (
    person_id TEXT NOT NULL REFERENCES person (person_id),
    ocd_id    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    layer_id  TEXT NOT NULL,
    map       TEXT NOT NULL,
    PRIMARY KEY (person_id, layer_id, ocd_id)
);
CREATE INDEX person_division_ocd ON person_division (ocd_id);
