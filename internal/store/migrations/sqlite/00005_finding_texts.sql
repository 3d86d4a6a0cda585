-- +goose NO TRANSACTION
-- +goose Up
-- A finding's descriptive text (title, description, remediation,
-- references) is stored once per distinct content in finding_texts, and
-- findings refer to it: a scanner repeats a vulnerability's text on every
-- host it finds it on, kilobytes a million times over in a large estate.
-- The digest is the import's content key (store.FindingText.Digest); the
-- texts moved here get a key of their own ("moved:" and a finding's id),
-- which no import computes, so an import stores its own copy of such a
-- text the first time it rewrites a finding that has it.
--
-- The findings table is rebuilt without the four columns as migration 3
-- rebuilt it: foreign keys off, one transaction.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE finding_texts (
    id          INTEGER PRIMARY KEY,
    digest      TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    remediation TEXT NOT NULL DEFAULT '',
    refs        TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO finding_texts (digest, title, description, remediation, refs)
    SELECT 'moved:' || MIN(id), title, description, remediation, refs FROM findings
    GROUP BY title, description, remediation, refs ORDER BY MIN(id);
CREATE INDEX finding_texts_content ON finding_texts(title, description, remediation, refs);
CREATE TABLE findings_new (
    id             INTEGER PRIMARY KEY,
    asset_id       INTEGER NOT NULL REFERENCES assets(id),
    fingerprint    TEXT NOT NULL,
    fkey           TEXT NOT NULL,
    origin_asset_id INTEGER NOT NULL,
    source         TEXT NOT NULL,
    content_hash   TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL,
    text_id        INTEGER NOT NULL REFERENCES finding_texts(id),
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
INSERT INTO findings_new (id, asset_id, fingerprint, fkey, origin_asset_id, source, content_hash, kind, text_id, severity, vuln_id, aliases, cwes, cvss, cvss_score, rule_id, component, package, location, status, status_note, first_seen, last_seen, fixed_at, reopen_count, priority_band, priority_score, priority_explanation, policy_version, decided_at, validation, owner, sla_due, ticket_id, updated_at)
    SELECT f.id, f.asset_id, f.fingerprint, f.fkey, f.origin_asset_id, f.source, f.content_hash, f.kind, t.id, f.severity, f.vuln_id, f.aliases, f.cwes, f.cvss, f.cvss_score, f.rule_id, f.component, f.package, f.location, f.status, f.status_note, f.first_seen, f.last_seen, f.fixed_at, f.reopen_count, f.priority_band, f.priority_score, f.priority_explanation, f.policy_version, f.decided_at, f.validation, f.owner, f.sla_due, f.ticket_id, f.updated_at
    FROM findings f CROSS JOIN finding_texts t ON t.title = f.title AND t.description = f.description AND t.remediation = f.remediation AND t.refs = f.refs;
DROP INDEX finding_texts_content;
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
    SELECT f.id, f.asset_id, f.fingerprint, f.fkey, f.origin_asset_id, f.source, f.content_hash, f.kind, t.title, t.description, f.severity, f.vuln_id, f.aliases, f.cwes, f.cvss, f.cvss_score, f.rule_id, f.component, f.package, f.location, t.remediation, t.refs, f.status, f.status_note, f.first_seen, f.last_seen, f.fixed_at, f.reopen_count, f.priority_band, f.priority_score, f.priority_explanation, f.policy_version, f.decided_at, f.validation, f.owner, f.sla_due, f.ticket_id, f.updated_at
    FROM findings f JOIN finding_texts t ON t.id = f.text_id;
DROP TABLE findings;
ALTER TABLE findings_new RENAME TO findings;
DROP TABLE finding_texts;
CREATE UNIQUE INDEX findings_identity ON findings(asset_id, fkey);
CREATE INDEX findings_asset ON findings(asset_id);
CREATE INDEX findings_status ON findings(status, severity);
CREATE INDEX findings_vuln ON findings(vuln_id) WHERE vuln_id <> '';
COMMIT;
PRAGMA foreign_keys = ON;
