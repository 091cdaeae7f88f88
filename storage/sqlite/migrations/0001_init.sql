-- Times are INTEGER unix milliseconds (UTC); tags a JSON array of strings.

CREATE TABLE links (
	id             INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: IDs are list cursors
	domain         TEXT    NOT NULL DEFAULT '',
	slug           TEXT    NOT NULL,
	destination    TEXT    NOT NULL,
	fallback_url   TEXT    NOT NULL DEFAULT '',
	tags           TEXT    NOT NULL DEFAULT '[]',
	redirect_code  INTEGER NOT NULL,
	expires_at     INTEGER,                           -- NULL: never expires
	check_interval INTEGER NOT NULL,                  -- seconds
	failed_over    INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	UNIQUE (domain, slug)
) STRICT;

-- No foreign key to links: checking it would slow down every insert.
CREATE TABLE scans (
	link_id       INTEGER NOT NULL,
	at            INTEGER NOT NULL,
	source        TEXT    NOT NULL CHECK (source IN ('qr', 'link')),
	referrer_host TEXT    NOT NULL DEFAULT '',
	device        TEXT    NOT NULL DEFAULT '',
	bot           INTEGER NOT NULL DEFAULT 0,
	country       TEXT    NOT NULL DEFAULT '',
	fallback      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX scans_link_id_at ON scans (link_id, at);

CREATE TABLE tokens (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	hash       BLOB    NOT NULL,
	scopes     TEXT    NOT NULL, -- comma-separated
	created_at INTEGER NOT NULL
) STRICT;
