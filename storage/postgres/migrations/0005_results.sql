-- Check results of links and monitors, per region. Durations are bigint
-- nanoseconds; hops a JSON array of {"url", "status", "duration_ns"}. No
-- foreign keys: checking them would slow down the batched inserts.
CREATE TABLE results (
	id            text        PRIMARY KEY, -- chosen by the prober: a replayed result is stored once
	target_kind   text        NOT NULL CHECK (target_kind IN ('link', 'monitor')),
	target_id     bigint      NOT NULL,
	region        text        NOT NULL,
	prober        text        NOT NULL,
	at            timestamptz NOT NULL,
	step          text        NOT NULL,
	class         text        NOT NULL, -- '': the check passed
	error         text        NOT NULL,
	degraded      boolean     NOT NULL,
	status        integer     NOT NULL,
	dns_ns        bigint      NOT NULL,
	connect_ns    bigint      NOT NULL,
	tls_ns        bigint      NOT NULL,
	first_byte_ns bigint      NOT NULL,
	total_ns      bigint      NOT NULL,
	hops          jsonb       NOT NULL,
	final_url     text        NOT NULL,
	cert_expiry   timestamptz,          -- NULL: plain HTTP
	fingerprint   text        NOT NULL,
	failed_over   boolean     NOT NULL
);

CREATE INDEX results_target_at_idx ON results (target_kind, target_id, at);
CREATE INDEX results_at_idx ON results (at); -- pruning

-- The newest result per target and region, kept when raw results are pruned.
-- Every check updates a row: half-empty pages let the updates be HOT (no
-- index changes, dead versions pruned within the page).
CREATE TABLE latest_results (
	id            text        NOT NULL,
	target_kind   text        NOT NULL,
	target_id     bigint      NOT NULL,
	region        text        NOT NULL,
	prober        text        NOT NULL,
	at            timestamptz NOT NULL,
	step          text        NOT NULL,
	class         text        NOT NULL,
	error         text        NOT NULL,
	degraded      boolean     NOT NULL,
	status        integer     NOT NULL,
	dns_ns        bigint      NOT NULL,
	connect_ns    bigint      NOT NULL,
	tls_ns        bigint      NOT NULL,
	first_byte_ns bigint      NOT NULL,
	total_ns      bigint      NOT NULL,
	hops          jsonb       NOT NULL,
	final_url     text        NOT NULL,
	cert_expiry   timestamptz,
	fingerprint   text        NOT NULL,
	failed_over   boolean     NOT NULL,
	PRIMARY KEY (target_kind, target_id, region)
) WITH (fillfactor = 50);

-- Hourly and daily aggregates (linkwatch.Rollup), maintained as results
-- arrive, so that uptime and percentiles outlive the raw results. A row is
-- updated by every check of its hour or day: free space in each page keeps
-- those updates HOT.
CREATE TABLE rollups (
	target_kind text        NOT NULL,
	target_id   bigint      NOT NULL,
	resolution  integer     NOT NULL CHECK (resolution IN (3600, 86400)), -- seconds
	start       timestamptz NOT NULL, -- of the UTC hour or day
	region      text        NOT NULL,
	checks      bigint      NOT NULL,
	failures    bigint      NOT NULL,
	degraded    bigint      NOT NULL,
	latency_sum bigint      NOT NULL, -- nanoseconds
	latency     bigint[]    NOT NULL, -- checks per linkwatch.LatencyBounds bucket
	PRIMARY KEY (target_kind, target_id, resolution, start, region)
) WITH (fillfactor = 70);

CREATE INDEX rollups_resolution_start_idx ON rollups (resolution, start); -- pruning
