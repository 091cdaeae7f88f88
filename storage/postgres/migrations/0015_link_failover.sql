-- How each link fails over (auto, off, or pinned to fallback or primary),
-- and since when and why it serves what it serves.
ALTER TABLE links ADD COLUMN failover_mode text NOT NULL DEFAULT 'auto';
ALTER TABLE links ADD COLUMN failover_since timestamptz;
ALTER TABLE links ADD COLUMN failover_reason text NOT NULL DEFAULT '';
