-- A link's fallback URL is checked on its own: its results are stored with
-- target_kind 'fallback' and the link's ID.
ALTER TABLE results DROP CONSTRAINT results_target_kind_check;
ALTER TABLE results ADD CONSTRAINT results_target_kind_check
	CHECK (target_kind IN ('link', 'fallback', 'monitor')) NOT VALID;
ALTER TABLE results VALIDATE CONSTRAINT results_target_kind_check;
