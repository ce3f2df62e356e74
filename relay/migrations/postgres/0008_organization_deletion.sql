-- An admin may delete an organization: its members and open invites go at
-- once, so nobody reaches its data; deleted_at records when.

ALTER TABLE organizations ADD COLUMN deleted_at BIGINT;
