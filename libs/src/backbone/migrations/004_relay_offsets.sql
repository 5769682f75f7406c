-- Where on the service's topic the relay's unpublished events can begin (see backbone/relay.py):
-- element p (0-based) is an offset of partition p before which no record of an event beyond
-- published_position can be. A partition past the array's end was added since: read it from its
-- beginning. NULL: not known yet (a store an earlier relay published): the relay reads a batch back.
ALTER TABLE event_store_cursor ADD COLUMN published_offsets bigint[];
