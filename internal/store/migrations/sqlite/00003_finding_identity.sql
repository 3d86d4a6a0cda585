-- +goose NO TRANSACTION
-- +goose Up
-- A finding's identity is (asset, key): a unique index on both replaces
-- the unique index on the fingerprint (a random hash, so every insert
-- touched a random page of it). The fingerprint stays, as the finding's
-- stable public id, derived from the two. The plain index on the asset
-- stays too: it costs an import next to nothing (new findings append to
-- it), and reads of an asset's findings through it visit them in id order,
-- the order they sit in the table (through the identity index, in key
-- order: 9 % slower re-imports).
--
-- SQLite cannot drop a column's UNIQUE constraint, so the table is rebuilt
-- (https://www.sqlite.org/lang_altertable.html#otheralter): with foreign
-- keys off, so that dropping the old table neither checks nor cascades to
-- the rows that refer to it, and in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE findings_new (
    id             INTEGER PRIMARY KEY,
    asset_id       INTEGER NOT NULL REFERENCES assets(id),
    fingerprint    TEXT NOT NULL,
    fkey           TEXT NOT NULL,
    origin_asset_id INTEGER NOT NULL,
    source         TEXT NOT NULL,
    content_hash   TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    severity       TEXT NOT NULL,
    vuln_id        TEXT NOT NULL DEFAULT '',
    aliases        TEXT NOT NULL DEFAULT '[]',
    cwes           TEXT NOT NULL DEFAULT '[]',
    cvss           TEXT NOT NULL DEFAULT '[]',
    cvss_score     REAL NOT NULL DEFAULT 0,
    rule_id        TEXT NOT NULL DEFAULT '',
    component      TEXT NOT NULL DEFAULT '{}',
    package        TEXT NOT NULL DEFAULT '',
    location       TEXT NOT NULL DEFAULT '{}',
    remediation    TEXT NOT NULL DEFAULT '',
    refs           TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL,
    status_note    TEXT NOT NULL DEFAULT '',
    first_seen     TIMESTAMP NOT NULL,
    last_seen      TIMESTAMP NOT NULL,
    fixed_at       TIMESTAMP,
    reopen_count   INTEGER NOT NULL DEFAULT 0,
    priority_band  TEXT NOT NULL DEFAULT '',
    priority_score INTEGER NOT NULL DEFAULT 0,
    priority_explanation TEXT NOT NULL DEFAULT '',
    policy_version TEXT NOT NULL DEFAULT '',
    decided_at     TIMESTAMP,
    validation     TEXT NOT NULL DEFAULT 'unknown',
    owner          TEXT NOT NULL DEFAULT '',
    sla_due        TIMESTAMP,
    ticket_id      INTEGER,
    updated_at     TIMESTAMP NOT NULL
);
INSERT INTO findings_new (id, asset_id, fingerprint, fkey, origin_asset_id, source, content_hash, kind, title, description, severity, vuln_id, aliases, cwes, cvss, cvss_score, rule_id, component, package, location, remediation, refs, status, status_note, first_seen, last_seen, fixed_at, reopen_count, priority_band, priority_score, priority_explanation, policy_version, decided_at, validation, owner, sla_due, ticket_id, updated_at)
    SELECT id, asset_id, fingerprint, fkey, origin_asset_id, source, content_hash, kind, title, description, severity, vuln_id, aliases, cwes, cvss, cvss_score, rule_id, component, package, location, remediation, refs, status, status_note, first_seen, last_seen, fixed_at, reopen_count, priority_band, priority_score, priority_explanation, policy_version, decided_at, validation, owner, sla_due, ticket_id, updated_at FROM findings;
DROP TABLE findings;
ALTER TABLE findings_new RENAME TO findings;
CREATE UNIQUE INDEX findings_identity ON findings(asset_id, fkey);
CREATE INDEX findings_asset ON findings(asset_id);
CREATE INDEX findings_status ON findings(status, severity);
CREATE INDEX findings_vuln ON findings(vuln_id) WHERE vuln_id <> '';
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE findings_new (
    id             INTEGER PRIMARY KEY,
    asset_id       INTEGER NOT NULL REFERENCES assets(id),
    fingerprint    TEXT NOT NULL UNIQUE,
    fkey           TEXT NOT NULL,
    origin_asset_id INTEGER NOT NULL,
    source         TEXT NOT NULL,
    content_hash   TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    severity       TEXT NOT NULL,
    vuln_id        TEXT NOT NULL DEFAULT '',
    aliases        TEXT NOT NULL DEFAULT '[]',
    cwes           TEXT NOT NULL DEFAULT '[]',
    cvss           TEXT NOT NULL DEFAULT '[]',
    cvss_score     REAL NOT NULL DEFAULT 0,
    rule_id        TEXT NOT NULL DEFAULT '',
    component      TEXT NOT NULL DEFAULT '{}',
    package        TEXT NOT NULL DEFAULT '',
    location       TEXT NOT NULL DEFAULT '{}',
    remediation    TEXT NOT NULL DEFAULT '',
    refs           TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL,
    status_note    TEXT NOT NULL DEFAULT '',
    first_seen     TIMESTAMP NOT NULL,
    last_seen      TIMESTAMP NOT NULL,
    fixed_at       TIMESTAMP,
    reopen_count   INTEGER NOT NULL DEFAULT 0,
    priority_band  TEXT NOT NULL DEFAULT '',
    priority_score INTEGER NOT NULL DEFAULT 0,
    priority_explanation TEXT NOT NULL DEFAULT '',
    policy_version TEXT NOT NULL DEFAULT '',
    decided_at     TIMESTAMP,
    validation     TEXT NOT NULL DEFAULT 'unknown',
    owner          TEXT NOT NULL DEFAULT '',
    sla_due        TIMESTAMP,
    ticket_id      INTEGER,
    updated_at     TIMESTAMP NOT NULL
);
INSERT INTO findings_new (id, asset_id, fingerprint, fkey, origin_asset_id, source, content_hash, kind, title, description, severity, vuln_id, aliases, cwes, cvss, cvss_score, rule_id, component, package, location, remediation, refs, status, status_note, first_seen, last_seen, fixed_at, reopen_count, priority_band, priority_score, priority_explanation, policy_version, decided_at, validation, owner, sla_due, ticket_id, updated_at)
    SELECT id, asset_id, fingerprint, fkey, origin_asset_id, source, content_hash, kind, title, description, severity, vuln_id, aliases, cwes, cvss, cvss_score, rule_id, component, package, location, remediation, refs, status, status_note, first_seen, last_seen, fixed_at, reopen_count, priority_band, priority_score, priority_explanation, policy_version, decided_at, validation, owner, sla_due, ticket_id, updated_at FROM findings;
DROP TABLE findings;
ALTER TABLE findings_new RENAME TO findings;
CREATE INDEX findings_asset ON findings(asset_id);
CREATE INDEX findings_status ON findings(status, severity);
CREATE INDEX findings_vuln ON findings(vuln_id) WHERE vuln_id <> '';
COMMIT;
PRAGMA foreign_keys = ON;
