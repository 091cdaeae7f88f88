-- Check results of links and monitors, per region. Durations are INTEGER
-- nanoseconds; hops a JSON array of {"url", "status", "duration_ns"}.
CREATE TABLE results (
	id            TEXT    PRIMARY KEY, -- chosen by the prober: a replayed result is stored once
	target_kind   TEXT    NOT NULL CHECK (target_kind IN ('link', 'monitor')),
	target_id     INTEGER NOT NULL,
	region        TEXT    NOT NULL,
	prober        TEXT    NOT NULL,
	at            INTEGER NOT NULL,
	step          TEXT    NOT NULL,
	class         TEXT    NOT NULL, -- '': the check passed
	error         TEXT    NOT NULL,
	degraded      INTEGER NOT NULL,
	status        INTEGER NOT NULL,
	dns_ns        INTEGER NOT NULL,
	connect_ns    INTEGER NOT NULL,
	tls_ns        INTEGER NOT NULL,
	first_byte_ns INTEGER NOT NULL,
	total_ns      INTEGER NOT NULL,
	hops          TEXT    NOT NULL,
	final_url     TEXT    NOT NULL,
	cert_expiry   INTEGER,          -- NULL: plain HTTP
	fingerprint   TEXT    NOT NULL,
	failed_over   INTEGER NOT NULL
) STRICT;

CREATE INDEX results_target_at ON results (target_kind, target_id, at);
CREATE INDEX results_at ON results (at); -- pruning

-- The newest result per target and region, kept when raw results are pruned.
CREATE TABLE latest_results (
	id            TEXT    NOT NULL,
	target_kind   TEXT    NOT NULL,
	target_id     INTEGER NOT NULL,
	region        TEXT    NOT NULL,
	prober        TEXT    NOT NULL,
	at            INTEGER NOT NULL,
	step          TEXT    NOT NULL,
	class         TEXT    NOT NULL,
	error         TEXT    NOT NULL,
	degraded      INTEGER NOT NULL,
	status        INTEGER NOT NULL,
	dns_ns        INTEGER NOT NULL,
	connect_ns    INTEGER NOT NULL,
	tls_ns        INTEGER NOT NULL,
	first_byte_ns INTEGER NOT NULL,
	total_ns      INTEGER NOT NULL,
	hops          TEXT    NOT NULL,
	final_url     TEXT    NOT NULL,
	cert_expiry   INTEGER,
	fingerprint   TEXT    NOT NULL,
	failed_over   INTEGER NOT NULL,
	PRIMARY KEY (target_kind, target_id, region)
) STRICT;

-- Hourly and daily aggregates (linkwatch.Rollup), maintained as results
-- arrive, so that uptime and percentiles outlive the raw results.
CREATE TABLE rollups (
	target_kind TEXT    NOT NULL,
	target_id   INTEGER NOT NULL,
	resolution  INTEGER NOT NULL CHECK (resolution IN (3600, 86400)), -- seconds
	start       INTEGER NOT NULL, -- of the UTC hour or day
	region      TEXT    NOT NULL,
	checks      INTEGER NOT NULL,
	failures    INTEGER NOT NULL,
	degraded    INTEGER NOT NULL,
	latency_sum INTEGER NOT NULL, -- nanoseconds
	latency     TEXT    NOT NULL, -- JSON array: checks per linkwatch.LatencyBounds bucket
	PRIMARY KEY (target_kind, target_id, resolution, start, region)
) STRICT;

CREATE INDEX rollups_resolution_start ON rollups (resolution, start); -- pruning
