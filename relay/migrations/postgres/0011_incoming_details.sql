-- WhatsApp's own time of an incoming message, voice notes (kind 'audio'),
-- and received files' bytes.

ALTER TABLE messages ADD COLUMN wa_time BIGINT;
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('text', 'image', 'document', 'video', 'audio'));

-- The bytes of a file a customer sent, uploaded by the host that captured
-- it: kept apart from the library (never listed, renamed or deleted there)
-- but counted in the profile's storage.
ALTER TABLE files ADD COLUMN origin TEXT NOT NULL DEFAULT 'library' CHECK (origin IN ('library', 'incoming'));
