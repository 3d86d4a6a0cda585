-- +goose Up
-- A finding's identity is (asset, key): one unique index on both replaces
-- the unique index on the fingerprint (a random hash, so every insert
-- touched a random page of it) and the plain index on the asset, which the
-- new one's first column serves (PostgreSQL reads an asset's rows by
-- bitmap, in table order, whichever index finds them; SQLite keeps the
-- plain index for that). The fingerprint stays, as the finding's stable
-- public id, derived from the two.
CREATE UNIQUE INDEX findings_identity ON findings(asset_id, fkey);
ALTER TABLE findings DROP CONSTRAINT findings_fingerprint_key;
DROP INDEX findings_asset;

-- +goose Down
CREATE INDEX findings_asset ON findings(asset_id);
ALTER TABLE findings ADD CONSTRAINT findings_fingerprint_key UNIQUE (fingerprint);
DROP INDEX findings_identity;
