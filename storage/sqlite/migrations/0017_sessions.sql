-- Dashboard sessions, by the SHA-256 of their random ID (the ID itself is
-- only in the browser's cookie). A session is valid while its token exists
-- with the same hash; the dashboard checks that on every request.
CREATE TABLE sessions (
	id_hash    BLOB    PRIMARY KEY,
	token_id   TEXT    NOT NULL,
	token_hash BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_expires_at ON sessions (expires_at);
