-- points_award_post(...): an award under its rule's limits in one statement
-- (points.ledger.database.award_in_database). Installed by migration 0005; 0007 set
-- plan_cache_mode = force_generic_plan on it (ALTER FUNCTION), written here in the
-- definition.
--
-- Kept equal to what the database has by tests/points/test_ledger_sql.py. This file
-- is not executed by the migrations: change the function with a new migration and
-- update this file with it.

CREATE OR REPLACE FUNCTION points_award_post(
    txn jsonb, wallet_id bigint, issuance_id bigint, cap_group varchar, caps jsonb,
    allow_partial boolean)
RETURNS TABLE (transaction_id bigint, replayed boolean, capped_points integer,
               cap_reason varchar)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    existing_id bigint;
    stored_fingerprint varchar;
    requested integer := (txn ->> 'requested_points')::integer;
    credit integer := requested;
    reason varchar := '';
    room bigint;
    cap record;
BEGIN
    PERFORM 1 FROM points_account WHERE id = wallet_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown points account id %', wallet_id USING ERRCODE = 'IK004';
    END IF;

    SELECT t.id, t.fingerprint INTO existing_id, stored_fingerprint
      FROM points_transaction AS t WHERE t.idempotency_key = txn ->> 'idempotency_key';
    IF existing_id IS NOT NULL THEN
        IF stored_fingerprint IS DISTINCT FROM txn ->> 'fingerprint' THEN
            RAISE EXCEPTION 'idempotency key % was used with other content',
                txn ->> 'idempotency_key' USING ERRCODE = 'IK003';
        END IF;
        RETURN QUERY SELECT t.id, true, t.capped_points, t.cap_reason
          FROM points_transaction AS t WHERE t.id = existing_id;
        RETURN;
    END IF;

    FOR cap IN
        SELECT c.reason, c.cap, c.first, c.last
          FROM ROWS FROM (jsonb_to_recordset(caps)
                          AS (reason varchar, cap bigint, first date, last date))
               WITH ORDINALITY AS c (reason, cap, first, last, n)
         ORDER BY c.n
    LOOP
        SELECT greatest(0, cap.cap - coalesce(sum(e.amount), 0)) INTO room
          FROM points_entry AS e
          JOIN points_transaction AS t ON t.id = e.transaction_id
          JOIN points_earningrule AS r ON r.id = t.rule_id
         WHERE e.account_id = wallet_id
           AND t.kind = 'earn'
           AND r.cap_group = points_award_post.cap_group
           AND t.activity_date BETWEEN cap.first AND cap.last
           AND NOT EXISTS (SELECT 1 FROM points_transaction AS x WHERE x.reverses_id = t.id);
        IF room < credit THEN
            credit := room;
            reason := cap.reason;
        END IF;
    END LOOP;
    IF credit < requested AND NOT allow_partial THEN
        RAISE EXCEPTION 'the % limit holds back this award', reason
            USING ERRCODE = 'IK005',
                  DETAIL = json_build_object(
                      'cap', reason, 'requested', requested, 'available', credit)::text;
    END IF;

    RETURN QUERY
    SELECT p.transaction_id, p.replayed, requested - credit, reason
      FROM points_post(
               txn || jsonb_build_object(
                   'capped_points', requested - credit, 'cap_reason', reason),
               ARRAY[wallet_id, issuance_id], ARRAY[credit, -credit]::bigint[]) AS p;
END;
$$;
