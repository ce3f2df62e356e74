-- An invite is accepted with a one-time code the admin shares (stored
-- hashed), so that signing up with the invited email is not enough.
-- Invites sent before codes existed have none and must be sent again.

ALTER TABLE invites ADD COLUMN code_hash BYTEA;
