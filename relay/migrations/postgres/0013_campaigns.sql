-- Campaigns: one message with merge fields sent to many recipients, read
-- from an uploaded spreadsheet or the contacts list, fed into the number's
-- queue one at a time by the relay's pacing.

-- Pacing of campaign sends, per number: an organization's, and a user's
-- own ("You"; gaps as organizations have had since 0004).
ALTER TABLE organizations ADD COLUMN burst_size BIGINT NOT NULL DEFAULT 40;
ALTER TABLE organizations ADD COLUMN burst_pause_seconds BIGINT NOT NULL DEFAULT 210;
ALTER TABLE organizations ADD COLUMN hourly_cap BIGINT NOT NULL DEFAULT 60;
ALTER TABLE organizations ADD COLUMN daily_cap BIGINT NOT NULL DEFAULT 600;
ALTER TABLE users ADD COLUMN pacing_min_seconds BIGINT NOT NULL DEFAULT 30;
ALTER TABLE users ADD COLUMN pacing_max_seconds BIGINT NOT NULL DEFAULT 60;
ALTER TABLE users ADD COLUMN burst_size BIGINT NOT NULL DEFAULT 40;
ALTER TABLE users ADD COLUMN burst_pause_seconds BIGINT NOT NULL DEFAULT 210;
ALTER TABLE users ADD COLUMN hourly_cap BIGINT NOT NULL DEFAULT 60;
ALTER TABLE users ADD COLUMN daily_cap BIGINT NOT NULL DEFAULT 600;

-- Uploaded spreadsheets; their bytes are blobs under the same id.
CREATE TABLE spreadsheets (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    uploaded_by UUID NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX spreadsheets_by_account ON spreadsheets (account_id, created_at);

CREATE TABLE campaigns (
    id            UUID PRIMARY KEY,
    account_id    UUID NOT NULL REFERENCES accounts (id),
    name          TEXT NOT NULL,
    -- The name as compared for uniqueness (case folded).
    name_key      TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('draft', 'running', 'paused', 'finished', 'cancelled')),
    paused_reason TEXT,
    template      TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('text', 'image', 'document', 'video', 'audio')),
    attachment_id UUID REFERENCES files (id),
    source        TEXT NOT NULL,
    created_by    UUID NOT NULL REFERENCES users (id),
    created_at    BIGINT NOT NULL,
    starts_at     BIGINT,
    finished_at   BIGINT
);
CREATE UNIQUE INDEX campaigns_by_name ON campaigns (account_id, name_key);
CREATE INDEX campaigns_running ON campaigns (account_id) WHERE state = 'running';

-- Each recipient, in sending order. `ready` until fed into the queue, then
-- `fed` with its message (whose status says the rest); `skipped` with the
-- reason it cannot be sent; `cancelled` if the campaign stopped first.
CREATE TABLE campaign_recipients (
    campaign_id UUID NOT NULL REFERENCES campaigns (id),
    position    BIGINT NOT NULL,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    row_number  BIGINT,
    phone       TEXT,
    name        TEXT,
    text        TEXT,
    status      TEXT NOT NULL CHECK (status IN ('ready', 'skipped', 'fed', 'cancelled')),
    reason      TEXT,
    message_id  UUID REFERENCES messages (id),
    fed_at      BIGINT,
    PRIMARY KEY (campaign_id, position)
);
CREATE INDEX campaign_recipients_fed ON campaign_recipients (account_id, fed_at) WHERE fed_at IS NOT NULL;
CREATE INDEX campaign_recipients_ready ON campaign_recipients (campaign_id, position) WHERE status = 'ready';

-- A campaign's messages are paced by the relay, not again by the host.
ALTER TABLE messages ADD COLUMN campaign_id UUID REFERENCES campaigns (id);
