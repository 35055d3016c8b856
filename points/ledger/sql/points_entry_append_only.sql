-- Entries are append-only: a row trigger refuses UPDATE and DELETE on points_entry.
-- Installed by migration 0002.
--
-- Kept equal to what the database has by tests/points/test_ledger_sql.py. This file
-- is not executed by the migrations: change the function with a new migration and
-- update this file with it.

CREATE OR REPLACE FUNCTION points_entry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'points_entry is append-only; post a reversing transaction instead'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER points_entry_append_only
    BEFORE UPDATE OR DELETE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_entry_append_only();
