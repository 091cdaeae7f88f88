-- Alert rules declared through the API, by name. spec is the rule's
-- alerting.RuleSpec as JSON; times are unix milliseconds.
CREATE TABLE alert_rules (
	name       TEXT    PRIMARY KEY,
	spec       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- Alert history: one row per change of an alert's phase, written by
-- SaveAlerts in the same transaction as the state it describes. from_phase
-- is '' for a new alert; labels is a JSON object; at is unix milliseconds.
-- Read newest first (by id), optionally by key, rule or severity; pruned by
-- at.
CREATE TABLE alert_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
	key        TEXT    NOT NULL,
	rule       TEXT    NOT NULL,
	severity   TEXT    NOT NULL,
	scope      TEXT    NOT NULL,
	labels     TEXT    NOT NULL,
	summary    TEXT    NOT NULL,
	from_phase TEXT    NOT NULL,
	to_phase   TEXT    NOT NULL,
	at         INTEGER NOT NULL
) STRICT;

CREATE INDEX alert_events_key ON alert_events (key, id);
CREATE INDEX alert_events_rule ON alert_events (rule, id);
CREATE INDEX alert_events_severity ON alert_events (severity, id);
CREATE INDEX alert_events_at ON alert_events (at);
