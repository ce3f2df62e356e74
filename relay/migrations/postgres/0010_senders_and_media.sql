-- Who wrote an incoming group message, and what an incoming file is as
-- WhatsApp Web shows it (its bytes stay on the host's phone).

ALTER TABLE messages ADD COLUMN sender_wa_id TEXT;
ALTER TABLE messages ADD COLUMN sender_name TEXT;
ALTER TABLE messages ADD COLUMN media_name TEXT;
ALTER TABLE messages ADD COLUMN media_size TEXT;
