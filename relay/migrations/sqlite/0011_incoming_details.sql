-- WhatsApp's own time of an incoming message, and voice notes (kind
-- 'audio'). SQLite cannot change a CHECK in place, so `messages` is rebuilt:
-- copied aside, dropped, created anew under its own name and filled again.
-- The ledger's references to it are deferred to the end of the migration's
-- transaction; each message put back settles the references to it.

PRAGMA defer_foreign_keys = ON;

CREATE TABLE messages_aside AS SELECT * FROM messages;
DROP TABLE messages;
CREATE TABLE messages (
    id              BLOB PRIMARY KEY NOT NULL,
    account_id      BLOB NOT NULL REFERENCES accounts (id),
    chat_id         BLOB NOT NULL REFERENCES chats (id),
    direction       TEXT NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'image', 'document', 'video', 'audio')),
    text            TEXT,
    attachment_id   BLOB REFERENCES files (id),
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'received')),
    failure_reason  TEXT,
    wa_id           TEXT,
    author_id       BLOB REFERENCES users (id),
    idempotency_key TEXT,
    cost            INTEGER NOT NULL,
    credits         TEXT NOT NULL CHECK (credits IN ('reserved', 'committed', 'released', 'charged', 'unpaid')),
    queue_pos       INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    sender_wa_id    TEXT,
    sender_name     TEXT,
    media_name      TEXT,
    media_size      TEXT,
    wa_time         INTEGER
);
INSERT INTO messages
    (id, account_id, chat_id, direction, kind, text, attachment_id, status, failure_reason,
     wa_id, author_id, idempotency_key, cost, credits, queue_pos, seq, lease_owner,
     lease_until, created_at, updated_at, sender_wa_id, sender_name, media_name, media_size)
SELECT id, account_id, chat_id, direction, kind, text, attachment_id, status, failure_reason,
     wa_id, author_id, idempotency_key, cost, credits, queue_pos, seq, lease_owner,
     lease_until, created_at, updated_at, sender_wa_id, sender_name, media_name, media_size
FROM messages_aside;
DROP TABLE messages_aside;

CREATE UNIQUE INDEX messages_one_per_wa_id ON messages (account_id, wa_id) WHERE wa_id IS NOT NULL;
CREATE UNIQUE INDEX messages_idempotency ON messages (account_id, author_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_queue ON messages (account_id, status, queue_pos);
CREATE INDEX messages_changes ON messages (account_id, seq);
CREATE INDEX messages_leases ON messages (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX messages_queued ON messages (account_id) WHERE status = 'queued';
CREATE INDEX messages_reserved ON messages (account_id) WHERE credits = 'reserved';
CREATE INDEX messages_by_chat ON messages (chat_id, id);
CREATE INDEX messages_by_attachment ON messages (attachment_id) WHERE attachment_id IS NOT NULL;

-- The bytes of a file a customer sent, uploaded by the host that captured
-- it: kept apart from the library (never listed, renamed or deleted there)
-- but counted in the profile's storage.
ALTER TABLE files ADD COLUMN origin TEXT NOT NULL DEFAULT 'library' CHECK (origin IN ('library', 'incoming'));
