-- Probers' last heartbeats.
CREATE TABLE probers (
	id        text        PRIMARY KEY,
	region    text        NOT NULL,
	version   text        NOT NULL,
	last_seen timestamptz NOT NULL
);
