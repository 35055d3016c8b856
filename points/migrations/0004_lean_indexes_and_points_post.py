"""Leaner posting on PostgreSQL.

* Drop indexes that every posting maintained and nothing read: the single-column
  ``points_entry.account_id`` index (the composite ``(account_id, id)`` index serves
  the same lookups), the ``points_transaction.rule_id`` one (likewise covered by
  ``(rule_id, activity_date)``) and the ``varchar_pattern_ops`` LIKE indexes Django adds for
  ``unique=True``/``db_index=True`` CharFields on ``idempotency_key`` and ``reference``
  (now a unique constraint and a plain index, declared in ``Meta``).
* ``points_post(txn jsonb, account_ids bigint[], amounts bigint[])``: a fixed-line
  posting in one round trip, called by ``points.services`` on PostgreSQL only (SQLite
  keeps the Python path). It does exactly what ``services._post`` does for static
  lines, in the same order, and reports the same domain errors through SQLSTATEs
  ``IK001``–``IK004`` (see ``services.LEDGER_SQLSTATES``):

  1. unknown account ids raise ``IK004``;
  2. insert the transaction ``ON CONFLICT (idempotency_key) DO NOTHING``; a taken key
     returns the original (``replayed``) when its fingerprint matches, else ``IK003``;
  3. ``IK001`` if the lines do not sum to zero; insert the entries in line order;
  4. lock the touched accounts except the issuance account, in primary-key order
     (``SELECT … ORDER BY id FOR NO KEY UPDATE``), then ``IK002`` (detail: JSON of the
     account code, balance and requested points) when a non-issuance account would go
     below zero, checked in the order the accounts first appear in the lines;
  5. add each account's delta to its balance.

  The outcome of every call is the Python path's (same checks, same precedence of
  errors; any error rolls the whole statement back), but the locks come after the
  inserts: a hot wallet is held only for its check, its update and the COMMIT, not for
  the transaction and entry inserts. ``FOR NO KEY UPDATE`` (also used by the Python
  path) serialises postings on an account exactly as ``FOR UPDATE`` did, and unlike it
  does not conflict with the KEY SHARE locks the entries' foreign keys take, so
  inserting entries before locking cannot deadlock with another posting.

  The issuance account is never locked up front: nothing reads its balance (it may
  go negative), so it is only locked by the balance update, the last statement.

  Every column of ``points_transaction`` except ``id`` is read from ``txn`` (a JSON
  object keyed by column name, written by ``services._post_in_database``);
  ``tests/points/test_sql_path.py`` fails if a column is added to the model and not
  here, so a new column cannot be silently dropped on this path.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION points_post(txn jsonb, account_ids bigint[], amounts bigint[])
RETURNS TABLE (transaction_id bigint, replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    found_count integer;
    new_id bigint;
    stored_fingerprint varchar;
    line record;
BEGIN
    SELECT array_agg(DISTINCT a ORDER BY a) INTO ids FROM unnest(account_ids) AS a;

    -- Everything that does not need the account locks comes first, so that a hot
    -- account is held only for the balance check, the update and the COMMIT.
    SELECT count(*) INTO found_count FROM points_account WHERE id = ANY (ids);
    IF found_count <> coalesce(cardinality(ids), 0) THEN
        RAISE EXCEPTION 'unknown points account ids in %', ids USING ERRCODE = 'IK004';
    END IF;

    INSERT INTO points_transaction (
        kind, idempotency_key, fingerprint, reference, actor_id, created_at, memo,
        reverses_id, rule_id, activity_date, requested_points, capped_points,
        cap_reason, expires_on)
    SELECT r.kind, r.idempotency_key, r.fingerprint, r.reference, r.actor_id,
           r.created_at, r.memo, r.reverses_id, r.rule_id, r.activity_date,
           r.requested_points, r.capped_points, r.cap_reason, r.expires_on
      FROM jsonb_populate_record(NULL::points_transaction, txn) AS r
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO new_id;

    IF new_id IS NULL THEN
        SELECT t.id, t.fingerprint INTO new_id, stored_fingerprint
          FROM points_transaction AS t WHERE t.idempotency_key = txn ->> 'idempotency_key';
        IF stored_fingerprint IS DISTINCT FROM txn ->> 'fingerprint' THEN
            RAISE EXCEPTION 'idempotency key % was used with other content',
                txn ->> 'idempotency_key' USING ERRCODE = 'IK003';
        END IF;
        RETURN QUERY SELECT new_id, true;
        RETURN;
    END IF;

    IF (SELECT coalesce(sum(a), 0) FROM unnest(amounts) AS a) <> 0 THEN
        RAISE EXCEPTION 'entries do not sum to zero' USING ERRCODE = 'IK001';
    END IF;
    -- The entries' foreign keys take KEY SHARE locks on the accounts, which do not
    -- conflict with FOR NO KEY UPDATE below (nor with the balance UPDATE).
    INSERT INTO points_entry (transaction_id, account_id, amount)
    SELECT new_id, l.id, l.amount
      FROM unnest(account_ids, amounts) WITH ORDINALITY AS l (id, amount, n)
     ORDER BY l.n;

    PERFORM 1 FROM points_account
      WHERE id = ANY (ids) AND kind <> 'issuance' ORDER BY id FOR NO KEY UPDATE;
    FOR line IN
        SELECT d.delta, acc.code, acc.balance
          FROM (SELECT l.id, sum(l.amount) AS delta, min(l.n) AS first_seen
                  FROM unnest(account_ids, amounts) WITH ORDINALITY AS l (id, amount, n)
                 GROUP BY l.id) AS d
          JOIN points_account AS acc ON acc.id = d.id
         WHERE acc.kind <> 'issuance' AND acc.balance + d.delta < 0
         ORDER BY d.first_seen
         LIMIT 1
    LOOP
        RAISE EXCEPTION 'not enough points in %', line.code
            USING ERRCODE = 'IK002',
                  DETAIL = json_build_object(
                      'account', line.code, 'balance', line.balance,
                      'requested', -line.delta)::text;
    END LOOP;

    UPDATE points_account AS acc SET balance = acc.balance + d.delta
      FROM (SELECT l.id, sum(l.amount) AS delta
              FROM unnest(account_ids, amounts) AS l (id, amount) GROUP BY l.id) AS d
     WHERE acc.id = d.id AND d.delta <> 0;
    RETURN QUERY SELECT new_id, false;
END;
$$;
"""

BACKWARD = "DROP FUNCTION IF EXISTS points_post(jsonb, bigint[], bigint[]);"


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # A plain cursor: the SQL contains '%' (RAISE placeholders), not parameters.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('points', '0003_shops_vouchers_settlement'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='entry',
            name='account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='points.account', verbose_name='account'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='idempotency_key',
            field=models.CharField(max_length=200, verbose_name='idempotency key'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='reference',
            field=models.CharField(blank=True, max_length=200, verbose_name='reference'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='rule',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='transactions', to='points.earningrule', verbose_name='earning rule'),
        ),
        migrations.AddIndex(
            model_name='transaction',
            index=models.Index(fields=['reference'], name='points_txn_reference_idx'),
        ),
        migrations.AddConstraint(
            model_name='transaction',
            constraint=models.UniqueConstraint(fields=('idempotency_key',), name='points_txn_key_unique'),
        ),
        migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD)),
    ]
