-- Rollups count failures per error class (linkwatch.Rollup.Classes), at the
-- position of the class in linkwatch.ErrorClasses, which is append-only. Rows
-- stored before this migration have none: they read as all zeros, and an
-- upsert merges element-wise, padding the shorter array with zeros.
ALTER TABLE rollups ADD COLUMN classes bigint[] NOT NULL DEFAULT '{}';
