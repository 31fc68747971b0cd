-- Stored messages are capped (MAX_STORED_MESSAGE_BYTES, default 8 KiB, cut on a UTF-8 character
-- boundary): the flag tells a cut message from a whole one. Rows stored before this migration keep
-- their message as it was, with the flag false.
ALTER TABLE events ADD COLUMN IF NOT EXISTS message_truncated Bool DEFAULT false AFTER message;
