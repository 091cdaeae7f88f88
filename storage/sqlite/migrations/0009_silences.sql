-- Silences: matching alerts' notifications are muted from start_at
-- (inclusive) to end_at (exclusive). Expired silences are kept for history.
-- matchers is a JSON array of {"name", "op", "value"}; times are unix
-- milliseconds.
CREATE TABLE silences (
	id         TEXT    PRIMARY KEY,
	matchers   TEXT    NOT NULL,
	start_at   INTEGER NOT NULL,
	end_at     INTEGER NOT NULL,
	author     TEXT    NOT NULL,
	comment    TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX silences_start ON silences (start_at, id);

-- Maintenance windows: one-off (start_at and end_at) or recurring (cron and
-- duration_ns); the other pair is NULL, or '' and 0.
CREATE TABLE maintenances (
	id          TEXT    PRIMARY KEY,
	name        TEXT    NOT NULL,
	matchers    TEXT    NOT NULL,
	start_at    INTEGER,
	end_at      INTEGER,
	cron        TEXT    NOT NULL,
	duration_ns INTEGER NOT NULL
) STRICT;
