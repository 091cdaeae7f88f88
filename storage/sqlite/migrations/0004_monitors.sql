-- Standalone checks of URLs that are not links.
CREATE TABLE monitors (
	id              INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
	name            TEXT    NOT NULL,
	url             TEXT    NOT NULL,
	check_interval  INTEGER NOT NULL,            -- seconds
	cron            TEXT    NOT NULL DEFAULT '', -- '': scheduled by check_interval
	expect_statuses TEXT    NOT NULL DEFAULT '[]',
	expect_keyword  TEXT    NOT NULL DEFAULT '',
	max_latency     INTEGER NOT NULL DEFAULT 0,  -- milliseconds
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;
