-- How each link fails over (auto, off, or pinned to fallback or primary),
-- and since when (unix milliseconds) and why it serves what it serves.
ALTER TABLE links ADD COLUMN failover_mode TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE links ADD COLUMN failover_since INTEGER;
ALTER TABLE links ADD COLUMN failover_reason TEXT NOT NULL DEFAULT '';
