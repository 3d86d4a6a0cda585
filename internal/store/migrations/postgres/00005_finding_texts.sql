-- +goose Up
-- A finding's descriptive text (title, description, remediation,
-- references) is stored once per distinct content in finding_texts, and
-- findings refer to it: a scanner repeats a vulnerability's text on every
-- host it finds it on, kilobytes a million times over in a large estate.
-- The digest is the import's content key (store.FindingText.Digest); the
-- texts moved here get a key of their own ("moved:" and a finding's id),
-- which no import computes, so an import stores its own copy of such a
-- text the first time it rewrites a finding that has it. As with the
-- finding's asset (migration 4), the import keeps the reference itself: no
-- foreign key, whose check would lock the text's row for every finding.
CREATE TABLE finding_texts (
    id          BIGSERIAL PRIMARY KEY,
    digest      TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    remediation TEXT NOT NULL DEFAULT '',
    refs        JSONB NOT NULL DEFAULT '[]'
);
INSERT INTO finding_texts (digest, title, description, remediation, refs)
    SELECT 'moved:' || MIN(id), title, description, remediation, refs FROM findings
    GROUP BY title, description, remediation, refs ORDER BY MIN(id);
ALTER TABLE findings ADD COLUMN text_id BIGINT;
UPDATE findings f SET text_id = t.id FROM finding_texts t
    WHERE t.title = f.title AND t.description = f.description AND t.remediation = f.remediation AND t.refs = f.refs;
ALTER TABLE findings ALTER COLUMN text_id SET NOT NULL;
ALTER TABLE findings DROP COLUMN title, DROP COLUMN description, DROP COLUMN remediation, DROP COLUMN refs;

-- +goose Down
ALTER TABLE findings ADD COLUMN title TEXT NOT NULL DEFAULT '', ADD COLUMN description TEXT NOT NULL DEFAULT '',
    ADD COLUMN remediation TEXT NOT NULL DEFAULT '', ADD COLUMN refs JSONB NOT NULL DEFAULT '[]';
UPDATE findings f SET title = t.title, description = t.description, remediation = t.remediation, refs = t.refs
    FROM finding_texts t WHERE t.id = f.text_id;
ALTER TABLE findings ALTER COLUMN title DROP DEFAULT;
ALTER TABLE findings DROP COLUMN text_id;
DROP TABLE finding_texts;
