-- +goose Up
CREATE TABLE imports (
    id             INTEGER PRIMARY KEY,
    source         TEXT NOT NULL,
    format_version INTEGER NOT NULL DEFAULT 0,
    file           TEXT NOT NULL DEFAULT '',
    digest         TEXT NOT NULL DEFAULT '',
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP,
    counts         TEXT NOT NULL DEFAULT '{}',
    error          TEXT NOT NULL DEFAULT ''
);

CREATE TABLE assets (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    attributes       TEXT NOT NULL DEFAULT '{}',
    tags             TEXT NOT NULL DEFAULT '{}',
    criticality      INTEGER NOT NULL DEFAULT 0,
    internet_exposed BOOLEAN NOT NULL DEFAULT FALSE,
    owner            TEXT NOT NULL DEFAULT '',
    crown_jewel      BOOLEAN NOT NULL DEFAULT FALSE,
    -- how ctem.yaml set the context: [{attribute, value, source, rule, file, line}]
    context          TEXT NOT NULL DEFAULT '[]',
    first_seen       TIMESTAMP NOT NULL,
    last_seen        TIMESTAMP NOT NULL,
    merged_into      INTEGER REFERENCES assets(id)
);
CREATE INDEX assets_kind ON assets(kind) WHERE merged_into IS NULL;
CREATE INDEX assets_merged_into ON assets(merged_into) WHERE merged_into IS NOT NULL;

-- Every identifier that joined an asset, with the import and the rule that
-- joined it, so that a merge can be explained and undone.
CREATE TABLE asset_identifiers (
    id         INTEGER PRIMARY KEY,
    asset_id   INTEGER NOT NULL REFERENCES assets(id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    import_id  INTEGER REFERENCES imports(id),
    rule       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (asset_id, kind, value)
);
CREATE INDEX asset_identifiers_value ON asset_identifiers(kind, value);

CREATE TABLE asset_merges (
    id         INTEGER PRIMARY KEY,
    into_id    INTEGER NOT NULL REFERENCES assets(id),
    from_id    INTEGER NOT NULL REFERENCES assets(id),
    rule       TEXT NOT NULL,
    import_id  INTEGER REFERENCES imports(id),
    merged_at  TIMESTAMP NOT NULL,
    undone_at  TIMESTAMP
);

CREATE TABLE findings (
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
CREATE INDEX findings_asset ON findings(asset_id);
CREATE INDEX findings_status ON findings(status, severity);
CREATE INDEX findings_vuln ON findings(vuln_id) WHERE vuln_id <> '';

CREATE TABLE detections (
    id           INTEGER PRIMARY KEY,
    finding_id   INTEGER NOT NULL REFERENCES findings(id),
    source       TEXT NOT NULL,
    tool_id      TEXT NOT NULL DEFAULT '',
    severity     TEXT NOT NULL DEFAULT '',
    present      BOOLEAN NOT NULL,
    content_hash TEXT NOT NULL DEFAULT '',
    first_seen   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    import_id    INTEGER NOT NULL REFERENCES imports(id),
    evidence     TEXT NOT NULL DEFAULT '',
    UNIQUE (finding_id, source)
);

-- Which source last covered which asset: a present detection was seen by the
-- last import that covered its asset, so its last-seen time lives here and
-- an unchanged re-import need not rewrite every detection.
CREATE TABLE coverage (
    asset_id   INTEGER NOT NULL REFERENCES assets(id),
    source     TEXT NOT NULL,
    import_id  INTEGER NOT NULL REFERENCES imports(id),
    seen_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (asset_id, source)
);

CREATE TABLE vuln_intel (
    vuln_id            TEXT PRIMARY KEY,
    kev                BOOLEAN NOT NULL DEFAULT FALSE,
    kev_date_added     TIMESTAMP,
    kev_due_date       TIMESTAMP,
    kev_ransomware     BOOLEAN NOT NULL DEFAULT FALSE,
    epss               REAL NOT NULL DEFAULT 0,
    epss_percentile    REAL NOT NULL DEFAULT 0,
    epss_model         TEXT NOT NULL DEFAULT '',
    epss_date          TIMESTAMP,
    cvss               TEXT NOT NULL DEFAULT '[]',
    ssvc_exploitation  TEXT NOT NULL DEFAULT '',
    ssvc_automatable   TEXT NOT NULL DEFAULT '',
    ssvc_technical_impact TEXT NOT NULL DEFAULT '',
    exploit_refs       TEXT NOT NULL DEFAULT '[]',
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE exceptions (
    id          INTEGER PRIMARY KEY,
    finding_id  INTEGER NOT NULL REFERENCES findings(id),
    kind        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    requester   TEXT NOT NULL DEFAULT '',
    approver    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP
);
CREATE INDEX exceptions_finding ON exceptions(finding_id);

CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY,
    tracker     TEXT NOT NULL,
    key         TEXT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL DEFAULT '',
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (tracker, key)
);

CREATE TABLE ticket_findings (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    PRIMARY KEY (ticket_id, finding_id)
);

CREATE TABLE snapshots (
    day     TIMESTAMP NOT NULL,
    scope   TEXT NOT NULL,
    band    TEXT NOT NULL,
    open    INTEGER NOT NULL DEFAULT 0,
    opened  INTEGER NOT NULL DEFAULT 0,
    fixed   INTEGER NOT NULL DEFAULT 0,
    overdue INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, scope, band)
);

-- Scope membership, materialized by the scope stage.
CREATE TABLE scope_members (
    scope    TEXT NOT NULL,
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    PRIMARY KEY (scope, asset_id)
);

-- Scopes with a finding selector: which findings of their assets belong.
CREATE TABLE scope_filters (
    scope TEXT PRIMARY KEY
);
CREATE TABLE scope_findings (
    scope      TEXT NOT NULL,
    finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    PRIMARY KEY (scope, finding_id)
);

-- Instance settings, such as the key for hashing secrets in fingerprints.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- API bearer tokens; only a SHA-256 hash of each token is stored.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used  TIMESTAMP,
    revoked_at TIMESTAMP
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE settings;
DROP TABLE scope_findings;
DROP TABLE scope_filters;
DROP TABLE scope_members;
DROP TABLE snapshots;
DROP TABLE ticket_findings;
DROP TABLE tickets;
DROP TABLE exceptions;
DROP TABLE vuln_intel;
DROP TABLE coverage;
DROP TABLE detections;
DROP TABLE findings;
DROP TABLE asset_merges;
DROP TABLE asset_identifiers;
DROP TABLE assets;
DROP TABLE imports;
