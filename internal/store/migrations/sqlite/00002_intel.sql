-- +goose Up
-- Threat-intel history. vuln_intel (00001) stays the current view that
-- prioritization reads; these tables keep what it was derived from.

-- Every KEV catalog loaded, in release order.
CREATE TABLE kev_catalogs (
    catalog_version TEXT PRIMARY KEY,
    date_released   TIMESTAMP NOT NULL,
    entries         INTEGER NOT NULL,
    added           INTEGER NOT NULL DEFAULT 0,
    removed         INTEGER NOT NULL DEFAULT 0,
    loaded_at       TIMESTAMP NOT NULL
);

-- One row per listing period of a CVE in KEV: added when a catalog first
-- lists it, closed (removed_at) by the first catalog without it. A CVE
-- listed again gets a new row. Dates are 'YYYY-MM-DD'.
CREATE TABLE kev_entries (
    id                INTEGER PRIMARY KEY,
    vuln_id           TEXT NOT NULL,
    date_added        DATE NOT NULL,
    due_date          DATE,
    ransomware        BOOLEAN NOT NULL DEFAULT FALSE,
    vendor            TEXT NOT NULL DEFAULT '',
    product           TEXT NOT NULL DEFAULT '',
    name              TEXT NOT NULL DEFAULT '',
    short_description TEXT NOT NULL DEFAULT '',
    required_action   TEXT NOT NULL DEFAULT '',
    notes             TEXT NOT NULL DEFAULT '',
    cwes              TEXT NOT NULL DEFAULT '[]',
    forensic_triage   TEXT NOT NULL DEFAULT '',
    catalog_version   TEXT NOT NULL,
    first_seen_at     TIMESTAMP NOT NULL,
    removed_at        TIMESTAMP,
    removed_version   TEXT NOT NULL DEFAULT '',
    updated_at        TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX kev_entries_listed ON kev_entries(vuln_id) WHERE removed_at IS NULL;
CREATE INDEX kev_entries_vuln ON kev_entries(vuln_id, id);

-- Every EPSS day loaded.
CREATE TABLE epss_days (
    score_date    DATE PRIMARY KEY,
    scored_at     TIMESTAMP NOT NULL,
    model_version TEXT NOT NULL DEFAULT '',
    row_count     INTEGER NOT NULL,
    sha256        TEXT NOT NULL DEFAULT '',
    loaded_at     TIMESTAMP NOT NULL
);

-- EPSS scores, ~300k rows per day: no rowid, and no index beyond the key
-- (a CVE's history is one range scan).
CREATE TABLE epss_scores (
    vuln_id       TEXT NOT NULL,
    score_date    DATE NOT NULL,
    epss          REAL NOT NULL,
    percentile    REAL NOT NULL,
    model_version TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (vuln_id, score_date)
) WITHOUT ROWID;

-- CVE records (NVD CVE API 2.0): CVSS from every provider, CISA-ADP SSVC
-- points with their timestamp, exploit references, NVD's copy of KEV data.
CREATE TABLE cve_records (
    vuln_id                 TEXT PRIMARY KEY,
    source_identifier       TEXT NOT NULL DEFAULT '',
    published               TIMESTAMP,
    last_modified           TIMESTAMP,
    status                  TEXT NOT NULL DEFAULT '',
    description             TEXT NOT NULL DEFAULT '',
    cvss                    TEXT NOT NULL DEFAULT '[]',
    ssvc                    TEXT,
    cwes                    TEXT NOT NULL DEFAULT '[]',
    exploit_refs            TEXT NOT NULL DEFAULT '[]',
    cisa_exploit_add        DATE,
    cisa_action_due         DATE,
    cisa_required_action    TEXT NOT NULL DEFAULT '',
    cisa_vulnerability_name TEXT NOT NULL DEFAULT '',
    fetched_at              TIMESTAMP NOT NULL
);
CREATE INDEX cve_records_modified ON cve_records(last_modified);

-- Every fetch or offline load of a feed; the latest successful one per
-- source holds the ETag / Last-Modified for the next conditional request.
CREATE TABLE feed_syncs (
    id            INTEGER PRIMARY KEY,
    feed          TEXT NOT NULL,
    source        TEXT NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    version       TEXT NOT NULL DEFAULT '',
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    row_count     INTEGER NOT NULL DEFAULT 0,
    sha256        TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL,
    error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feed_syncs_feed ON feed_syncs(feed, source, id);

-- vuln_intel.updated_at (which ChangedVulns reads) has no index on
-- purpose: keeping one costs a quarter of a daily EPSS load, and scanning
-- a few hundred thousand rows now and then is cheap.

-- +goose Down
DROP TABLE feed_syncs;
DROP TABLE cve_records;
DROP TABLE epss_scores;
DROP TABLE epss_days;
DROP TABLE kev_entries;
DROP TABLE kev_catalogs;
