-- The externalId an identity provider gave a SCIM resource (gateway.SCIMLinkStore). Kept apart
-- from users and orgs: it is the IdP's bookkeeping, not part of the state snapshot.
CREATE TABLE scim_external_ids (
    kind        text NOT NULL,
    resource_id text NOT NULL,
    external_id text NOT NULL,
    PRIMARY KEY (kind, resource_id)
);
CREATE INDEX scim_external_ids_lookup ON scim_external_ids (kind, external_id);
