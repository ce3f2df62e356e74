-- A group's members as the host's WhatsApp Web lists them in the group's
-- header, one name a line.

ALTER TABLE chats ADD COLUMN participants TEXT;
