-- How many checks in a row, up to and including the latest one, have failed
-- for the target from the region (linkwatch.Latest.Failures). A latest result
-- already failing counts as one failure: the run before it is unknown.
ALTER TABLE latest_results ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
UPDATE latest_results SET consecutive_failures = 1 WHERE class <> '';
