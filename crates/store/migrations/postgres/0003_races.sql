-- Races: elections (a state, a day, a kind), the races in them (an office in a division, with
-- its seat count when known) and their candidates, imported from results files or typed in by
-- organizers for upcoming elections. Keys are readable and stable, so re-importing a file
-- finds the same rows: election `oh-2016-11-08-general`, race
-- `oh-2016-11-08-general/state_house/12`.

CREATE TABLE election (
    election_id   TEXT PRIMARY KEY,
    state         TEXT NOT NULL,      -- lower-case USPS code
    election_date TEXT NOT NULL,      -- YYYY-MM-DD
    kind          TEXT NOT NULL,      -- general | primary | special
    updated_at    BIGINT NOT NULL
);

CREATE TABLE race (
    race_id         TEXT PRIMARY KEY,
    election_id     TEXT NOT NULL REFERENCES election (election_id),
    office          TEXT NOT NULL,    -- us_house | state_senate | state_house | school_board | …
    ocd_id          TEXT NOT NULL,    -- the division
    district        TEXT NOT NULL,    -- as the source wrote it (12, CHT-6-2)
    seats           BIGINT,            -- NULL: unknown (multi-member district without a seats file)
    filing_deadline TEXT,
    source          TEXT NOT NULL,    -- openelections | native, and the file name
    updated_at      BIGINT NOT NULL
);
CREATE INDEX race_election ON race (election_id);
CREATE INDEX race_ocd ON race (ocd_id);

CREATE TABLE candidate (
    race_id     TEXT NOT NULL REFERENCES race (race_id),
    position    BIGINT NOT NULL,       -- most votes first
    name        TEXT NOT NULL,
    lines       TEXT NOT NULL,        -- party slugs joined by '/', e.g. democratic/republican; empty: none
    party_label TEXT NOT NULL,        -- the party column as the source wrote it
    incumbent   TEXT,                 -- yes | no | NULL (unknown)
    votes       BIGINT,
    PRIMARY KEY (race_id, position)
);
