-- Email subscribers: a subscriber has a webhook URL or an email address,
-- never both ('' for the other), each unique among the subscribers that have
-- one. SQLite cannot drop the inline UNIQUE on url, so the table is rebuilt.
CREATE TABLE status_subscribers_new (
	id           TEXT    PRIMARY KEY,
	url          TEXT    NOT NULL DEFAULT '', -- '' for an email subscriber
	email        TEXT    NOT NULL DEFAULT '', -- '' for a webhook subscriber
	token        TEXT    NOT NULL,
	confirmed_at INTEGER,
	created_at   INTEGER NOT NULL,
	CHECK ((url = '') <> (email = ''))
) STRICT;

INSERT INTO status_subscribers_new (id, url, token, confirmed_at, created_at)
	SELECT id, url, token, confirmed_at, created_at FROM status_subscribers;
DROP TABLE status_subscribers;
ALTER TABLE status_subscribers_new RENAME TO status_subscribers;

CREATE UNIQUE INDEX status_subscribers_url ON status_subscribers (url) WHERE url <> '';
CREATE UNIQUE INDEX status_subscribers_email ON status_subscribers (email) WHERE email <> '';
CREATE INDEX status_subscribers_created ON status_subscribers (created_at, id);
