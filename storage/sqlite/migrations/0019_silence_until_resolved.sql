-- A silence may be held until one alert resolves: until_resolved is that
-- alert's key ('' for an ordinary silence). The evaluating engine ends such
-- a silence (end_at = then) once the alert is no longer pending or firing;
-- end_at still bounds it.
ALTER TABLE silences ADD COLUMN until_resolved TEXT NOT NULL DEFAULT '';
