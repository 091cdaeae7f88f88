-- Identical scans within one second are stored as one row with their number.
ALTER TABLE scans ADD COLUMN count integer NOT NULL DEFAULT 1 CHECK (count > 0);
