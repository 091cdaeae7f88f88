-- Where each prober is in its life: stopped_at when it deregistered on a
-- clean stop, retired_at when an admin retired it. A heartbeat clears both.
ALTER TABLE probers ADD COLUMN stopped_at timestamptz;
ALTER TABLE probers ADD COLUMN retired_at timestamptz;
