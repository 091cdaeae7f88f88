CREATE TABLE links (
	id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused: IDs are list cursors
	domain         text        NOT NULL DEFAULT '',
	slug           text        NOT NULL,
	destination    text        NOT NULL,
	fallback_url   text        NOT NULL DEFAULT '',
	tags           text[]      NOT NULL DEFAULT '{}',
	redirect_code  smallint    NOT NULL,
	expires_at     timestamptz,          -- NULL: never expires
	check_interval integer     NOT NULL, -- seconds
	failed_over    boolean     NOT NULL DEFAULT false,
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL,
	CONSTRAINT links_domain_slug_key UNIQUE (domain, slug)
);

CREATE INDEX links_tags_idx ON links USING gin (tags);

-- No foreign key to links: checking it would slow down COPY.
CREATE TABLE scans (
	link_id       bigint      NOT NULL,
	at            timestamptz NOT NULL,
	source        text        NOT NULL CHECK (source IN ('qr', 'link')),
	referrer_host text        NOT NULL DEFAULT '',
	device        text        NOT NULL DEFAULT '',
	bot           boolean     NOT NULL DEFAULT false,
	country       text        NOT NULL DEFAULT '',
	fallback      boolean     NOT NULL DEFAULT false
);

CREATE INDEX scans_link_id_at_idx ON scans (link_id, at);

CREATE TABLE tokens (
	id         text        PRIMARY KEY,
	name       text        NOT NULL,
	hash       bytea       NOT NULL,
	scopes     text[]      NOT NULL,
	created_at timestamptz NOT NULL
);
