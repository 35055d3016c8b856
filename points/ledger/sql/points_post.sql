-- points_post(txn jsonb, account_ids bigint[], amounts bigint[]): a fixed-line posting
-- in one statement (points.ledger.database.post_in_database). Installed by migration 0004,
-- replaced by 0007 (generic plans, five statements); this is 0007's text.
--
-- Kept equal to what the database has by tests/points/test_ledger_sql.py. This file
-- is not executed by the migrations: change the function with a new migration and
-- update this file with it.

CREATE OR REPLACE FUNCTION points_post(txn jsonb, account_ids bigint[], amounts bigint[])
RETURNS TABLE (transaction_id bigint, replayed boolean)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    named integer;
    found_count integer;
    total numeric;
    moving_ids bigint[];
    moving_deltas numeric[];
    moved bigint[];
    new_id bigint;
    stored_fingerprint varchar;
    line record;
BEGIN
    -- Sums as numeric (the type sum() gives), as before: a huge amount must still
    -- meet the checks below in their order, not an overflow error first.
    WITH d AS (SELECT l.id, sum(l.amount) AS delta
                 FROM unnest(account_ids, amounts) AS l (id, amount) GROUP BY l.id)
    SELECT count(*), coalesce(sum(d.delta), 0),
           array_agg(d.id ORDER BY d.id) FILTER (WHERE d.delta <> 0),
           array_agg(d.delta ORDER BY d.id) FILTER (WHERE d.delta <> 0),
           (SELECT count(*) FROM points_account WHERE id = ANY (account_ids))
      INTO named, total, moving_ids, moving_deltas, found_count
      FROM d;
    IF found_count <> named THEN
        RAISE EXCEPTION 'unknown points account ids in %',
            (SELECT array_agg(DISTINCT a ORDER BY a) FROM unnest(account_ids) AS a)
            USING ERRCODE = 'IK004';
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
        transaction_id := new_id;
        replayed := true;
        RETURN NEXT;
        RETURN;
    END IF;

    IF total <> 0 THEN
        RAISE EXCEPTION 'entries do not sum to zero' USING ERRCODE = 'IK001';
    END IF;
    -- The entries' foreign keys take KEY SHARE locks on the accounts, which do not
    -- conflict with FOR NO KEY UPDATE below (nor with the balance UPDATE).
    INSERT INTO points_entry (transaction_id, account_id, amount)
    SELECT new_id, l.id, l.amount
      FROM unnest(account_ids, amounts) WITH ORDINALITY AS l (id, amount, n)
     ORDER BY l.n;

    PERFORM 1 FROM points_account
      WHERE id = ANY (account_ids) AND kind <> 'issuance' ORDER BY id FOR NO KEY UPDATE;
    -- All or nothing: when any locked account cannot pay, no row is updated, so a
    -- refused posting never takes the issuance account's row lock (which only the
    -- update takes). Rows are found by "id = ANY (...)", never by a join: a join with
    -- the lines makes the generic plan scan the whole table wherever it is small.
    WITH updated AS (
        UPDATE points_account AS acc
           SET balance = acc.balance + moving_deltas[array_position(moving_ids, acc.id)]
         WHERE acc.id = ANY (moving_ids)
           AND NOT EXISTS (
               SELECT 1 FROM points_account AS o
                WHERE o.id = ANY (moving_ids) AND o.kind <> 'issuance'
                  AND o.balance + moving_deltas[array_position(moving_ids, o.id)] < 0)
        RETURNING acc.id)
    SELECT array_agg(updated.id) INTO moved FROM updated;

    IF coalesce(cardinality(moved), 0) < coalesce(cardinality(moving_ids), 0) THEN
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
        RAISE EXCEPTION 'points_post: % of % accounts moved',
            cardinality(moved), cardinality(moving_ids);
    END IF;

    transaction_id := new_id;
    replayed := false;
    RETURN NEXT;
END;
$$;
