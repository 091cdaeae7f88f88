-- A link's fallback URL is checked on its own: its results are stored with
-- target_kind 'fallback' and the link's ID. SQLite cannot change a CHECK
-- constraint, so the table is rebuilt.
CREATE TABLE results_new (
	id            TEXT    PRIMARY KEY,
	target_kind   TEXT    NOT NULL CHECK (target_kind IN ('link', 'fallback', 'monitor')),
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
	failed_over   INTEGER NOT NULL
) STRICT;

INSERT INTO results_new SELECT * FROM results;
DROP TABLE results;
ALTER TABLE results_new RENAME TO results;
CREATE INDEX results_target_at ON results (target_kind, target_id, at);
CREATE INDEX results_at ON results (at);
