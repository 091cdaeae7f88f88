-- Rollups count failures per error class (linkwatch.Rollup.Classes), at the
-- position of the class in linkwatch.ErrorClasses, which is append-only: a
-- JSON array like latency. Rows stored before this migration have none: they
-- read as all zeros, and an update merges element-wise.
ALTER TABLE rollups ADD COLUMN classes TEXT NOT NULL DEFAULT '[]';
