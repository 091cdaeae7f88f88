-- What probers require of a link's destination (linkwatch.Expectation).
ALTER TABLE links
	ADD COLUMN expect_statuses smallint[] NOT NULL DEFAULT '{}', -- empty: any 2xx
	ADD COLUMN expect_keyword  text       NOT NULL DEFAULT '',
	ADD COLUMN max_latency     integer    NOT NULL DEFAULT 0;    -- milliseconds; 0: none
