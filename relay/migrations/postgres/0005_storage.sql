-- A deleted file's bytes are removed once no unsent message carries it;
-- purged_at records when.

ALTER TABLE files ADD COLUMN purged_at BIGINT;
CREATE INDEX messages_by_attachment ON messages (attachment_id) WHERE attachment_id IS NOT NULL;
CREATE INDEX files_deleted ON files (deleted_at) WHERE deleted_at IS NOT NULL AND purged_at IS NULL;
