-- Weighting consultation (issue 14): the steering committee opens a consultation on the principle
-- weights of one framework version; each member proposes weights (one live proposal per member: a
-- new one closes the earlier, replaced_at, and takes the next version number, so the history stays);
-- the committee may adopt the median proposal as a new framework version (adopted_hash).
CREATE SEQUENCE weight_consultation_id_seq START 1;
CREATE TABLE weight_consultations (
    id              BIGINT PRIMARY KEY DEFAULT nextval('weight_consultation_id_seq'),
    framework_hash  VARCHAR NOT NULL,     -- the framework version whose weights are consulted on
    opened_at       TIMESTAMP NOT NULL,   -- UTC
    opened_by       VARCHAR NOT NULL,     -- audit actor
    closed_at       TIMESTAMP,            -- NULL while open
    closed_by       VARCHAR,
    adopted_hash    VARCHAR               -- the framework version adopted from its median, if any
);

CREATE SEQUENCE weight_proposal_id_seq START 1;
CREATE TABLE weight_proposals (
    id               BIGINT PRIMARY KEY DEFAULT nextval('weight_proposal_id_seq'),
    consultation_id  BIGINT NOT NULL,
    org_code         VARCHAR NOT NULL,
    version          INTEGER NOT NULL,    -- 1, 2, … per member and consultation
    proposed_by      VARCHAR NOT NULL,    -- audit actor
    proposed_at      TIMESTAMP NOT NULL,  -- UTC
    replaced_at      TIMESTAMP            -- NULL while it is the member's live proposal
);

CREATE TABLE weight_proposal_values (
    proposal_id  BIGINT NOT NULL,
    principle    VARCHAR NOT NULL,
    weight       DOUBLE NOT NULL          -- as proposed (normalised to sum 1)
);
