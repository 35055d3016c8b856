"""Idempotency fingerprints cover the actor and the memo too.

Until now a key reused by another person or with another memo silently returned the
original transaction; ``services.request_fingerprint`` now digests the content's
digest together with ``actor_id`` and ``memo``, so such a reuse is a conflict. The
transactions stored before get their fingerprint rebuilt the same way from their own
columns: a retry of a request made before this migration still replays.

Irreversible: the content digest cannot be recovered from the new fingerprint.
"""

import hashlib
import json

from django.db import migrations

BATCH = 2000


def _digest(content_digest, actor_id, memo):
    # Frozen copy of services.request_fingerprint at the time of this migration.
    payload = {"content": content_digest, "actor": actor_id, "memo": memo}
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def rebuild(apps, schema_editor):
    Transaction = apps.get_model("points", "Transaction")
    batch = []
    rows = Transaction.objects.only("pk", "fingerprint", "actor_id", "memo").order_by("pk")
    for txn in rows.iterator(chunk_size=BATCH):
        txn.fingerprint = _digest(txn.fingerprint, txn.actor_id, txn.memo)
        batch.append(txn)
        if len(batch) >= BATCH:
            Transaction.objects.bulk_update(batch, ["fingerprint"])
            batch = []
    if batch:
        Transaction.objects.bulk_update(batch, ["fingerprint"])


class Migration(migrations.Migration):
    dependencies = [("points", "0005_points_award_post")]

    operations = [migrations.RunPython(rebuild, elidable=False)]
