-- Who deleted or changed what in an organization, for its admins.

CREATE TABLE audit_events (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    actor_id        UUID NOT NULL REFERENCES users (id),
    action          TEXT NOT NULL,
    detail          TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX audit_by_organization ON audit_events (organization_id, created_at);
