-- Version 0016 was set aside for the owner-facing side of failover (the API
-- and the redirector), which needs no schema change: the failover columns
-- came with 0015. This keeps the versions without gaps.
SELECT 1;
