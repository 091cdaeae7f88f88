-- Dashboard sessions, by the SHA-256 of their random ID (the ID itself is
-- only in the browser's cookie). A session is valid while its token exists
-- with the same hash; the dashboard checks that on every request.
CREATE TABLE sessions (
	id_hash    bytea       PRIMARY KEY,
	token_id   text        NOT NULL,
	token_hash bytea       NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);
