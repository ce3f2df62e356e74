-- What the host's chat list says arrived in a chat before the host opened it
-- to capture the messages: how many, the last one's preview, and since when.
-- Cleared when the messages themselves are stored.

ALTER TABLE chats ADD COLUMN waiting_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN waiting_preview TEXT;
ALTER TABLE chats ADD COLUMN waiting_since BIGINT;
