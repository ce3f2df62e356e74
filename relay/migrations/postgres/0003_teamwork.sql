-- Teamwork behind one number: chat assignment and status, comments,
-- contacts with tags and attributes, groups, and the file library.
-- Every row that sidebars follow carries `seq`, its position in the
-- account's change feed (accounts.change_seq).

ALTER TABLE chats ADD COLUMN kind TEXT NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'group'));
-- A group is listed with the chats once an admin adds it; until then it is
-- only one the host has seen.
ALTER TABLE chats ADD COLUMN added_at BIGINT;
ALTER TABLE chats ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved'));
ALTER TABLE chats ADD COLUMN assignee_id UUID REFERENCES users (id);
ALTER TABLE chats ADD COLUMN unread BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX chats_by_activity ON chats (account_id, last_activity_at, id);
CREATE INDEX chats_changes ON chats (account_id, seq);
CREATE INDEX messages_by_chat ON messages (chat_id, id);

CREATE TABLE comments (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    chat_id     UUID NOT NULL REFERENCES chats (id),
    author_id   UUID REFERENCES users (id),
    kind        TEXT NOT NULL CHECK (kind IN ('note', 'assignment', 'status', 'redirected')),
    body        TEXT NOT NULL,
    assignee_id UUID REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    edited_at   BIGINT,
    deleted_at  BIGINT,
    seq         BIGINT NOT NULL,
    -- A send turned into a comment keeps the send's key, so a retry finds it.
    idempotency_key TEXT
);
CREATE INDEX comments_by_chat ON comments (chat_id, id);
CREATE UNIQUE INDEX comments_idempotency ON comments (account_id, author_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX comments_changes ON comments (account_id, seq);

CREATE TABLE contacts (
    id             UUID PRIMARY KEY,
    account_id     UUID NOT NULL REFERENCES accounts (id),
    phone          TEXT NOT NULL,
    name           TEXT,
    source         TEXT NOT NULL CHECK (source IN ('manual', 'import', 'incoming', 'outgoing')),
    created_at     BIGINT NOT NULL,
    last_active_at BIGINT,
    -- Deleted contacts stay as tombstones for the change feed; adding the
    -- number again brings the row back.
    deleted_at     BIGINT,
    seq            BIGINT NOT NULL,
    UNIQUE (account_id, phone)
);
CREATE INDEX contacts_changes ON contacts (account_id, seq);
CREATE INDEX contacts_by_name ON contacts (account_id, name, phone);

CREATE TABLE contact_tags (
    contact_id UUID NOT NULL REFERENCES contacts (id),
    tag        TEXT NOT NULL,
    PRIMARY KEY (contact_id, tag)
);
CREATE INDEX contact_tags_by_tag ON contact_tags (tag, contact_id);

CREATE TABLE contact_attributes (
    contact_id UUID NOT NULL REFERENCES contacts (id),
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (contact_id, key)
);

ALTER TABLE files ADD COLUMN deleted_at BIGINT;
ALTER TABLE files ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX files_changes ON files (account_id, seq);
