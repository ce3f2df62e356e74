-- The message queue, chats, files and credits.
-- An account owns a number and its credits: a user's own number (id = the
-- user's id) or an organization's (id = the organization's id).

CREATE TABLE accounts (
    id         BLOB PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('personal', 'organization')),
    -- Last position handed out in this account's change feed and queue.
    change_seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE chats (
    id               BLOB PRIMARY KEY NOT NULL,
    account_id       BLOB NOT NULL REFERENCES accounts (id),
    wa_id            TEXT NOT NULL,
    phone            TEXT,
    name             TEXT,
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    UNIQUE (account_id, wa_id)
);

CREATE TABLE files (
    id          BLOB PRIMARY KEY NOT NULL,
    account_id  BLOB NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('image', 'document', 'video')),
    size        INTEGER NOT NULL,
    sha256      BLOB NOT NULL,
    uploaded_by BLOB NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX files_by_account ON files (account_id, created_at);

CREATE TABLE messages (
    id              BLOB PRIMARY KEY NOT NULL,
    account_id      BLOB NOT NULL REFERENCES accounts (id),
    chat_id         BLOB NOT NULL REFERENCES chats (id),
    direction       TEXT NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'image', 'document', 'video')),
    text            TEXT,
    attachment_id   BLOB REFERENCES files (id),
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'received')),
    failure_reason  TEXT,
    wa_id           TEXT,
    author_id       BLOB REFERENCES users (id),
    idempotency_key TEXT,
    cost            INTEGER NOT NULL,
    credits         TEXT NOT NULL CHECK (credits IN ('reserved', 'committed', 'released', 'charged', 'unpaid')),
    -- Sending order within the account (fixed when queued).
    queue_pos       INTEGER NOT NULL,
    -- Change-feed position (bumped on every change).
    seq             INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- A WhatsApp message is stored once per number, enforced by the database.
CREATE UNIQUE INDEX messages_one_per_wa_id ON messages (account_id, wa_id) WHERE wa_id IS NOT NULL;
-- A client retry with the same key finds the first message.
CREATE UNIQUE INDEX messages_idempotency ON messages (account_id, author_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_queue ON messages (account_id, status, queue_pos);
CREATE INDEX messages_changes ON messages (account_id, seq);
CREATE INDEX messages_leases ON messages (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX messages_queued ON messages (account_id) WHERE status = 'queued';
-- Summing what is held for queued messages reads only those.
CREATE INDEX messages_reserved ON messages (account_id) WHERE credits = 'reserved';

CREATE TABLE credit_grants (
    id         BLOB PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    plan       TEXT NOT NULL CHECK (plan IN ('monthly', 'volume')),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    remaining  INTEGER NOT NULL CHECK (remaining >= 0),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX credit_grants_by_expiry ON credit_grants (account_id, expires_at);

-- Which grants a queued message's reservation was drawn from.
CREATE TABLE credit_holds (
    message_id BLOB NOT NULL REFERENCES messages (id),
    grant_id   BLOB NOT NULL REFERENCES credit_grants (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (message_id, grant_id)
);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE ledger (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    kind       TEXT NOT NULL CHECK (kind IN ('grant', 'reserve', 'release', 'charge')),
    delta      INTEGER NOT NULL,
    message_id BLOB,
    grant_id   BLOB,
    at         INTEGER NOT NULL
);
CREATE INDEX ledger_by_account ON ledger (account_id, seq);
