-- Accounts, sessions, organizations, memberships and invites.
-- Ids are UUIDs; times are Unix milliseconds.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    account_type  TEXT CHECK (account_type IN ('agent', 'organization')),
    phone         TEXT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE organizations (
    id              UUID PRIMARY KEY,
    owner_id        UUID NOT NULL REFERENCES users (id),
    name            TEXT NOT NULL,
    default_country TEXT NOT NULL,
    phone           TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX organizations_by_owner ON organizations (owner_id);

CREATE TABLE memberships (
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    joined_at       BIGINT NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE invites (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('invite_sent', 'accepted', 'declined', 'revoked')),
    invited_by      UUID NOT NULL REFERENCES users (id),
    created_at      BIGINT NOT NULL,
    closed_at       BIGINT
);
-- At most one open invite per organization and email, enforced by the database.
CREATE UNIQUE INDEX invites_one_open ON invites (organization_id, email) WHERE state = 'invite_sent';
CREATE INDEX invites_open_by_email ON invites (email) WHERE state = 'invite_sent';
