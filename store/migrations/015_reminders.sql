-- Reminders and notifications (issue 13): the committee's schedule, every message sent, and the
-- language each organisation is written to in.

-- The language Athar writes to an organisation in (e-mails, WhatsApp texts): fr, ar or en.
ALTER TABLE organizations ADD COLUMN preferred_lang VARCHAR DEFAULT 'fr';
UPDATE organizations SET preferred_lang = 'fr' WHERE preferred_lang IS NULL;

-- When reminders go out, in days from a period's deadline: negative = before it, 0 = on the day,
-- positive = after it (the organisation is late). One row per step; the committee sets them.
CREATE TABLE reminder_schedule (
    offset_days     INTEGER PRIMARY KEY,
    set_by          VARCHAR NOT NULL,   -- the audit actor (account:…, cli:…, system)
    set_at          TIMESTAMP NOT NULL  -- UTC
);
INSERT INTO reminder_schedule VALUES (-7, 'system', now()::TIMESTAMP), (1, 'system', now()::TIMESTAMP),
                                     (14, 'system', now()::TIMESTAMP);

-- Every message Athar sent (or failed to send), written with its audit entry in one transaction.
-- (org_code, period, kind, day) is the idempotency key: one sent message of a kind per organisation,
-- period and day, however often the schedule or the button runs; a failed send stays as a row of its
-- own and is retried (no UNIQUE constraint: store.reminders checks for a sent row in the transaction).
CREATE SEQUENCE message_id_seq START 1;

CREATE TABLE messages (
    id              BIGINT PRIMARY KEY DEFAULT nextval('message_id_seq'),
    org_code        VARCHAR NOT NULL,   -- the organisation the message is about
    period          VARCHAR NOT NULL,   -- canonical label
    kind            VARCHAR NOT NULL,   -- due | late | arrival | correction
    day             DATE NOT NULL,      -- the schedule day (reminders) or the upload day (notifications)
    audience        VARCHAR NOT NULL,   -- member | committee
    lang            VARCHAR NOT NULL,   -- fr | ar | en
    recipients      VARCHAR[] NOT NULL, -- e-mail addresses
    subject         VARCHAR NOT NULL,
    body            VARCHAR NOT NULL,
    whatsapp        VARCHAR,            -- the ready-to-paste text the committee can copy
    attachments     VARCHAR[],          -- file names
    status          VARCHAR NOT NULL,   -- sent | failed (retried) | no_address (nobody to write to)
    error           VARCHAR,            -- why a send failed (never a password)
    sent_at         TIMESTAMP NOT NULL, -- UTC
    sent_by         VARCHAR NOT NULL    -- the audit actor
);
