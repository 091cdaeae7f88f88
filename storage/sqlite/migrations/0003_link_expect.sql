-- What probers require of a link's destination (linkwatch.Expectation).
ALTER TABLE links ADD COLUMN expect_statuses TEXT    NOT NULL DEFAULT '[]'; -- JSON array; empty: any 2xx
ALTER TABLE links ADD COLUMN expect_keyword  TEXT    NOT NULL DEFAULT '';
ALTER TABLE links ADD COLUMN max_latency     INTEGER NOT NULL DEFAULT 0;    -- milliseconds; 0: none
