-- Probers' last heartbeats.
CREATE TABLE probers (
	id        TEXT    PRIMARY KEY,
	region    TEXT    NOT NULL,
	version   TEXT    NOT NULL,
	last_seen INTEGER NOT NULL
) STRICT;
