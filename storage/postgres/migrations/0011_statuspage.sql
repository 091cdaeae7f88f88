-- The status page: components, incidents and scheduled maintenances,
-- webhook subscribers and the frozen figures of closed months. Bodies are
-- the statuspage types as JSON; the columns beside them are what lists
-- filter and order by. Identifiers and names compare bytewise (COLLATE "C"),
-- as in SQLite.

-- Components of the page, by ID; listed by position, name and ID.
CREATE TABLE status_components (
	id       text COLLATE "C" PRIMARY KEY,
	position integer          NOT NULL,
	name     text COLLATE "C" NOT NULL,
	group_id text COLLATE "C" NOT NULL, -- '' at the top level
	body     jsonb            NOT NULL  -- statuspage.Component
);

CREATE INDEX status_components_order ON status_components (position, name, id);

-- Incidents and, with maintenance set, scheduled maintenances, with their
-- affected components and timelines in body. resolved is Incident.Resolved()
-- of the stored status. Listed newest started first.
CREATE TABLE status_incidents (
	id            text COLLATE "C" PRIMARY KEY,
	maintenance   boolean          NOT NULL,
	draft         boolean          NOT NULL,
	resolved      boolean          NOT NULL,
	started_at    timestamptz      NOT NULL, -- 0001-01-01 when not started
	scheduled_for timestamptz,
	resolved_at   timestamptz,
	body          jsonb            NOT NULL  -- statuspage.Incident
);

CREATE INDEX status_incidents_started ON status_incidents (maintenance, started_at DESC, id DESC);
CREATE INDEX status_incidents_unresolved ON status_incidents (maintenance, started_at DESC, id DESC) WHERE NOT resolved;

-- Webhook subscribers, one per URL. token is the confirmation secret.
CREATE TABLE status_subscribers (
	id           text COLLATE "C" PRIMARY KEY,
	url          text             NOT NULL UNIQUE,
	token        text             NOT NULL,
	confirmed_at timestamptz,
	created_at   timestamptz      NOT NULL
);

CREATE INDEX status_subscribers_created ON status_subscribers (created_at, id);

-- A closed month's figures per component, written once and never changed.
-- Durations are nanoseconds. Kept when the component is deleted.
CREATE TABLE status_months (
	component_id text COLLATE "C" NOT NULL,
	month        timestamptz      NOT NULL,
	observed     bigint           NOT NULL,
	major        bigint           NOT NULL,
	partial      bigint           NOT NULL,
	maintenance  bigint           NOT NULL,
	PRIMARY KEY (component_id, month)
);
