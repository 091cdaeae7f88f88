-- Email subscribers: a subscriber has a webhook URL or an email address,
-- never both ('' for the other), each unique among the subscribers that have
-- one (partial unique indexes: the '' of the other kind never collides).
ALTER TABLE status_subscribers DROP CONSTRAINT status_subscribers_url_key;
ALTER TABLE status_subscribers ALTER COLUMN url SET DEFAULT '';
ALTER TABLE status_subscribers ADD COLUMN email text NOT NULL DEFAULT '';
ALTER TABLE status_subscribers ADD CONSTRAINT status_subscribers_one_target CHECK ((url = '') <> (email = ''));

CREATE UNIQUE INDEX status_subscribers_url ON status_subscribers (url) WHERE url <> '';
CREATE UNIQUE INDEX status_subscribers_email ON status_subscribers (email) WHERE email <> '';
