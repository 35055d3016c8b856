-- A transaction's entries sum to zero: a deferred constraint trigger checks every
-- touched transaction at COMMIT. Installed by migration 0002.
--
-- Kept equal to what the database has by tests/points/test_ledger_sql.py. This file
-- is not executed by the migrations: change the function with a new migration and
-- update this file with it.

CREATE OR REPLACE FUNCTION points_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total
      FROM points_entry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'points transaction % is unbalanced: entries sum to %',
            NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER points_transaction_balanced
    AFTER INSERT ON points_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION points_transaction_balanced();
