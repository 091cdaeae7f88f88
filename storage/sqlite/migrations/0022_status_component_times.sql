-- When each component declared in the configuration file was first seen and
-- last changed, for the v2 JSON's created_at and updated_at: the file has no
-- times, and a restart must not reset them. hash is what the component
-- looked like then (its declaration and status); a different one moves
-- updated_at. Times are unix milliseconds.
CREATE TABLE status_component_times (
	id         TEXT    PRIMARY KEY,
	hash       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
