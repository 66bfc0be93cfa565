-- The sign-up spine: people, their identities (e-mails and phones that fold
-- sign-ups together), every submission as history, consents as records,
-- merge candidates for staff, staff accounts, sessions and the audit log.
-- Times are milliseconds since the Unix epoch (UTC) in both backends so the
-- same queries work unchanged; ids are UUIDv7 (uuid here, text in SQLite).

CREATE TABLE person (
    person_id          UUID PRIMARY KEY,
    given_name         TEXT NOT NULL,
    family_name        TEXT,
    email              TEXT,            -- newest e-mail given (lower-case)
    phone              TEXT,            -- newest phone given (E.164)
    address_line       TEXT,
    locality           TEXT,
    region             TEXT NOT NULL,   -- two-letter state or territory code
    postal_code        TEXT NOT NULL,
    interest           TEXT NOT NULL,   -- run | volunteer | both
    offices            TEXT,            -- comma-separated office kinds
    timeframe          TEXT,
    involvement        TEXT,            -- comma-separated
    involvement_detail TEXT,
    birth_year         BIGINT,
    consent_email      BOOLEAN NOT NULL DEFAULT FALSE,
    consent_sms        BOOLEAN NOT NULL DEFAULT FALSE,
    consent_share      BOOLEAN NOT NULL DEFAULT FALSE,
    source             TEXT,            -- source of the first sign-up
    submission_count   BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    merged_into        UUID REFERENCES person (person_id)  -- set when staff merged this record away
);
CREATE INDEX person_created_at ON person (created_at);
CREATE INDEX person_region_interest ON person (region, interest);

-- Every e-mail and phone ever given points at exactly one person: the de-duplication key.
CREATE TABLE person_identity (
    kind       TEXT NOT NULL,   -- email | phone
    value      TEXT NOT NULL,
    person_id  UUID NOT NULL REFERENCES person (person_id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX person_identity_person ON person_identity (person_id);

CREATE TABLE submission (
    submission_id      UUID PRIMARY KEY,
    person_id          UUID NOT NULL REFERENCES person (person_id),
    received_at        BIGINT NOT NULL,
    channel            TEXT NOT NULL,   -- form | import
    lang               TEXT NOT NULL,
    source             TEXT,
    referrer           TEXT,
    given_name         TEXT NOT NULL,
    family_name        TEXT,
    email              TEXT,
    phone              TEXT,
    address_line       TEXT,
    locality           TEXT,
    region             TEXT NOT NULL,
    postal_code        TEXT NOT NULL,
    interest           TEXT NOT NULL,
    offices            TEXT,
    timeframe          TEXT,
    involvement        TEXT,
    involvement_detail TEXT,
    birth_year         BIGINT,
    consent_email      BOOLEAN NOT NULL,
    consent_sms        BOOLEAN NOT NULL,
    consent_share      BOOLEAN NOT NULL
);
CREATE INDEX submission_person ON submission (person_id, received_at);
CREATE INDEX submission_received_at ON submission (received_at);
CREATE INDEX submission_source ON submission (source);

CREATE TABLE consent (
    consent_id    UUID PRIMARY KEY,
    person_id     UUID NOT NULL REFERENCES person (person_id),
    submission_id UUID REFERENCES submission (submission_id),  -- NULL when recorded by staff
    channel       TEXT NOT NULL,   -- email | sms | share
    granted       BOOLEAN NOT NULL,
    text          TEXT NOT NULL,   -- the exact words shown
    text_version  TEXT NOT NULL,
    lang          TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    recorded_by   UUID             -- staff user who recorded a withdrawal, if any
);
CREATE INDEX consent_person ON consent (person_id, recorded_at);

CREATE TABLE merge_candidate (
    merge_candidate_id UUID PRIMARY KEY,
    person_id          UUID NOT NULL REFERENCES person (person_id),  -- matched by e-mail; got the submission
    other_person_id    UUID NOT NULL REFERENCES person (person_id),  -- matched by phone
    submission_id      UUID NOT NULL REFERENCES submission (submission_id),
    reason             TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'open',  -- open | merged | dismissed
    created_at         BIGINT NOT NULL,
    resolved_at        BIGINT,
    resolved_by        UUID
);
CREATE UNIQUE INDEX merge_candidate_open ON merge_candidate (person_id, other_person_id) WHERE status = 'open';
CREATE INDEX merge_candidate_other ON merge_candidate (other_person_id);

CREATE TABLE staff_user (
    user_id       UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,   -- admin | organizer
    password_hash TEXT NOT NULL,   -- argon2id PHC string
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE
);

-- Only the SHA-256 of a session token is stored: a database leak does not leak sessions.
CREATE TABLE staff_session (
    token_hash TEXT PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES staff_user (user_id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX staff_session_user ON staff_session (user_id);

CREATE TABLE audit_log (
    audit_id  UUID PRIMARY KEY,
    at        BIGINT NOT NULL,
    user_id   UUID REFERENCES staff_user (user_id),
    action    TEXT NOT NULL,   -- view_person | merge | dismiss_merge | withdraw_consent | export | import | create_user ...
    person_id UUID,
    detail    TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
