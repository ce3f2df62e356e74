-- How the organization's host spaces its sends to different people
-- (a random gap between the two bounds, in seconds).

ALTER TABLE organizations ADD COLUMN pacing_min_seconds INTEGER NOT NULL DEFAULT 30;
ALTER TABLE organizations ADD COLUMN pacing_max_seconds INTEGER NOT NULL DEFAULT 60;
