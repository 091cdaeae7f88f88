-- The status page: components, incidents and scheduled maintenances,
-- webhook subscribers and the frozen figures of closed months. Bodies are
-- the statuspage types as JSON; the columns beside them are what lists
-- filter and order by. Times are unix milliseconds.

-- Components of the page, by ID; listed by position, name and ID.
CREATE TABLE status_components (
	id       TEXT    PRIMARY KEY,
	position INTEGER NOT NULL,
	name     TEXT    NOT NULL,
	group_id TEXT    NOT NULL, -- '' at the top level
	body     TEXT    NOT NULL  -- statuspage.Component
) STRICT;

CREATE INDEX status_components_order ON status_components (position, name, id);

-- Incidents and, with maintenance set, scheduled maintenances, with their
-- affected components and timelines in body. resolved is Incident.Resolved()
-- of the stored status. Booleans are 0 or 1. Listed newest started first.
CREATE TABLE status_incidents (
	id            TEXT    PRIMARY KEY,
	maintenance   INTEGER NOT NULL,
	draft         INTEGER NOT NULL,
	resolved      INTEGER NOT NULL,
	started_at    INTEGER NOT NULL, -- 0001-01-01 when not started
	scheduled_for INTEGER,
	resolved_at   INTEGER,
	body          TEXT    NOT NULL  -- statuspage.Incident
) STRICT;

CREATE INDEX status_incidents_started ON status_incidents (maintenance, started_at DESC, id DESC);

-- Webhook subscribers, one per URL. token is the confirmation secret.
CREATE TABLE status_subscribers (
	id           TEXT    PRIMARY KEY,
	url          TEXT    NOT NULL UNIQUE,
	token        TEXT    NOT NULL,
	confirmed_at INTEGER,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX status_subscribers_created ON status_subscribers (created_at, id);

-- A closed month's figures per component, written once and never changed.
-- Durations are nanoseconds. Kept when the component is deleted.
CREATE TABLE status_months (
	component_id TEXT    NOT NULL,
	month        INTEGER NOT NULL,
	observed     INTEGER NOT NULL,
	major        INTEGER NOT NULL,
	partial      INTEGER NOT NULL,
	maintenance  INTEGER NOT NULL,
	PRIMARY KEY (component_id, month)
) STRICT;
