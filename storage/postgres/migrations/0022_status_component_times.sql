-- When each component declared in the configuration file was first seen and
-- last changed, for the v2 JSON's created_at and updated_at: the file has no
-- times, and a restart must not reset them. hash is what the component
-- looked like then (its declaration and status); a different one moves
-- updated_at.
CREATE TABLE status_component_times (
	id         text COLLATE "C" PRIMARY KEY,
	hash       text             NOT NULL,
	created_at timestamptz      NOT NULL,
	updated_at timestamptz      NOT NULL
);
