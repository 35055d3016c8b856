"""Database-enforced ledger invariants on PostgreSQL.

* Entries are append-only: a row trigger refuses UPDATE and DELETE.
* A transaction's entries sum to zero: a deferred constraint trigger checks every
  touched transaction at COMMIT, so even raw SQL cannot leave the books unbalanced.

(The non-negative balance is a CHECK constraint in 0001, on every database.) On SQLite
these are skipped; the posting service performs the same checks in Python.
"""

from django.db import migrations

FORWARD = """
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
"""

BACKWARD = """
DROP TRIGGER IF EXISTS points_transaction_balanced ON points_entry;
DROP FUNCTION IF EXISTS points_transaction_balanced();
DROP TRIGGER IF EXISTS points_entry_append_only ON points_entry;
DROP FUNCTION IF EXISTS points_entry_append_only();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # A plain cursor: the SQL contains '%' (RAISE placeholders), not parameters.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD))]
