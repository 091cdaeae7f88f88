-- Alert states, one per dedupe key (rule and scope). labels and state are
-- JSON; times are unix milliseconds.
CREATE TABLE alerts (
	key        TEXT    PRIMARY KEY,
	rule       TEXT    NOT NULL,
	severity   TEXT    NOT NULL,
	scope      TEXT    NOT NULL,
	labels     TEXT    NOT NULL,
	summary    TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- The outbox: notifications written in the same transaction as the state
-- change they announce, delivered (sent_at) or given up (abandoned_at) by the
-- delivery workers. A row with neither is pending.
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
	receiver     TEXT    NOT NULL,
	dedupe_key   TEXT    NOT NULL, -- the notification's, for delivery_refs
	notification TEXT    NOT NULL,
	not_before   INTEGER NOT NULL,
	attempts     INTEGER NOT NULL,
	last_error   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	sent_at      INTEGER,
	abandoned_at INTEGER
) STRICT;

CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL AND abandoned_at IS NULL;
CREATE INDEX outbox_pending_receiver ON outbox (receiver) WHERE sent_at IS NULL AND abandoned_at IS NULL;

-- The receiver's reference of the last message delivered per alert and
-- receiver (Slack's channel and timestamp), so a resolution can edit it.
CREATE TABLE delivery_refs (
	dedupe_key TEXT    NOT NULL,
	receiver   TEXT    NOT NULL,
	ref        TEXT    NOT NULL,
	sent_at    INTEGER NOT NULL,
	PRIMARY KEY (dedupe_key, receiver)
) STRICT;

-- Leases with fencing: fence grows by one whenever the holder changes.
CREATE TABLE leases (
	name       TEXT    PRIMARY KEY,
	holder     TEXT    NOT NULL,
	fence      INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
