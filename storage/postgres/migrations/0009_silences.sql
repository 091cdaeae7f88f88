-- Silences: matching alerts' notifications are muted from start_at
-- (inclusive) to end_at (exclusive). Expired silences are kept for history.
-- matchers is a JSON array of {"name", "op", "value"}.
CREATE TABLE silences (
	id         text        PRIMARY KEY,
	matchers   jsonb       NOT NULL,
	start_at   timestamptz NOT NULL,
	end_at     timestamptz NOT NULL,
	author     text        NOT NULL,
	comment    text        NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE INDEX silences_start ON silences (start_at, id COLLATE "C");

-- Maintenance windows: one-off (start_at and end_at) or recurring (cron and
-- duration_ns); the other pair is NULL, or '' and 0.
CREATE TABLE maintenances (
	id          text        PRIMARY KEY,
	name        text        NOT NULL,
	matchers    jsonb       NOT NULL,
	start_at    timestamptz,
	end_at      timestamptz,
	cron        text        NOT NULL,
	duration_ns bigint      NOT NULL
);
