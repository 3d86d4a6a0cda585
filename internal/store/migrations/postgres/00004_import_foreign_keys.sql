-- +goose Up
-- Imports keep these two references themselves, as they do on SQLite
-- (where an import runs with foreign keys off): every finding an import
-- writes is on an asset it read or created, every detection on a finding
-- it read or created, in the same transaction, and imports run one at a
-- time (an advisory lock), so no other transaction can remove either in
-- between. Checked per row, the constraints cost PostgreSQL a fifth of a
-- first import: each check locks the parent row, one more write and WAL
-- record per row. The other references to findings and assets stay.
ALTER TABLE detections DROP CONSTRAINT detections_finding_id_fkey;
ALTER TABLE findings DROP CONSTRAINT findings_asset_id_fkey;

-- +goose Down
ALTER TABLE findings ADD CONSTRAINT findings_asset_id_fkey FOREIGN KEY (asset_id) REFERENCES assets(id);
ALTER TABLE detections ADD CONSTRAINT detections_finding_id_fkey FOREIGN KEY (finding_id) REFERENCES findings(id);
