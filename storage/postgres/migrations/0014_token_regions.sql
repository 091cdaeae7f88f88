-- The regions a prober token may report for. Tokens created before are left
-- without any: such a prober token is refused until it is re-created with
-- regions (an admin token reports for any region).
ALTER TABLE tokens ADD COLUMN regions text[] NOT NULL DEFAULT '{}';
