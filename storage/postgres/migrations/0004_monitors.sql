-- Standalone checks of URLs that are not links.
CREATE TABLE monitors (
	id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name            text        NOT NULL,
	url             text        NOT NULL,
	check_interval  integer     NOT NULL,             -- seconds
	cron            text        NOT NULL DEFAULT '',  -- '': scheduled by check_interval
	expect_statuses smallint[]  NOT NULL DEFAULT '{}',
	expect_keyword  text        NOT NULL DEFAULT '',
	max_latency     integer     NOT NULL DEFAULT 0,   -- milliseconds
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);
