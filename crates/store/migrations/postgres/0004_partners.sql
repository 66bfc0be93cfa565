-- Partners and the candidate pipeline: partner organizations and their eligibility rules, the
-- referral of a person to a partner (resting on the person's consent record for that partner),
-- every stage change, partner API tokens, the durable webhook outbox, and the server's own
-- secrets (the key that signs the thank-you page's partner-choice link).

CREATE TABLE partner (
    partner_id     UUID PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,   -- URL key and ?referrer= value
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    offers         TEXT NOT NULL DEFAULT '',   -- comma list: training, mentoring, endorsement, funding
    contact_email  TEXT,
    states         TEXT NOT NULL DEFAULT '',   -- eligibility, comma lists; empty = any
    offices        TEXT NOT NULL DEFAULT '',
    interests      TEXT NOT NULL DEFAULT '',
    born_from      BIGINT,
    born_to        BIGINT,
    languages      TEXT NOT NULL DEFAULT '',
    share_mode     TEXT NOT NULL DEFAULT 'eligible',   -- eligible | referred_only
    webhook_url    TEXT,
    webhook_secret TEXT,                       -- HMAC-SHA256 key for signatures
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- A partner user (role partner) belongs to one partner.
ALTER TABLE staff_user ADD COLUMN partner_id UUID REFERENCES partner (partner_id);

CREATE TABLE referral (
    referral_id      UUID PRIMARY KEY,
    person_id        UUID NOT NULL REFERENCES person (person_id),
    partner_id       UUID NOT NULL REFERENCES partner (partner_id),
    consent_id       UUID NOT NULL REFERENCES consent (consent_id),   -- the grant it rests on
    source           TEXT,                     -- how the person came (?source= / ?referrer=)
    created_at       BIGINT NOT NULL,
    stage            TEXT NOT NULL,
    stage_date       TEXT NOT NULL,            -- YYYY-MM-DD the stage was reached
    first_contact_at BIGINT,                     -- first move out of "new"
    updated_at       BIGINT NOT NULL,            -- any change the partner may sync (modified_since)
    revoked_at       BIGINT,                     -- consent withdrawn: the partner no longer sees it
    UNIQUE (person_id, partner_id)
);
CREATE INDEX referral_partner ON referral (partner_id, updated_at);

CREATE TABLE referral_stage (
    stage_id    UUID PRIMARY KEY,
    referral_id UUID NOT NULL REFERENCES referral (referral_id),
    at          BIGINT NOT NULL,
    stage       TEXT NOT NULL,
    stage_date  TEXT NOT NULL,
    note        TEXT,
    by_user     UUID REFERENCES staff_user (user_id),
    by_token    UUID
);
CREATE INDEX referral_stage_referral ON referral_stage (referral_id, at);

-- Only the SHA-256 of a token is stored; the token itself is shown once.
CREATE TABLE api_token (
    token_id     UUID PRIMARY KEY,
    partner_id   UUID NOT NULL REFERENCES partner (partner_id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- Written in the same transaction as the change it reports; delivered after commit.
CREATE TABLE webhook_outbox (
    event_id        UUID PRIMARY KEY,           -- the idempotency key partners de-duplicate on
    partner_id      UUID NOT NULL REFERENCES partner (partner_id),
    event_type      TEXT NOT NULL,             -- referral.created | referral.revoked | person.updated
    payload         TEXT NOT NULL,             -- the JSON body, exactly as signed and sent
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    delivered_at    BIGINT,
    failed_at       BIGINT,                      -- gave up after the last retry (an admin may retry)
    last_error      TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at);

CREATE TABLE app_secret (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
