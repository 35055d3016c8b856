"""``make backup`` and ``make restore`` on PostgreSQL: a dump of a database with a
ledger restores into a new, empty database, where ``points_audit`` passes with the
same totals; a restore that cannot complete leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from points.services.accounts import wallet_for
from points.services.vouchers import voucher_exchange, voucher_redeem
from tests.factories import UserFactory
from tests.platform.helpers import ROOT, manage
from tests.points.support import fund
from tests.points.test_shops import make_shop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def url_of(name: str) -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgres://{settings['USER'] or 'postgres'}{password}@{host}:{port}/{name}"


def make(*args: str, database_url: str, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def audit_totals(database_url: str) -> list[str]:
    result = manage("points_audit", env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stdout + result.stderr
    return [
        line for line in result.stdout.splitlines() if line.startswith(("transactions", "balance"))
    ]


@pytest.fixture
def empty_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    yield url_of(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_backup_restores_with_the_same_books(postgres, empty_database, tmp_path):
    volunteer = UserFactory(roles=["volunteer"])
    fund(wallet_for(volunteer), 3000)
    _, vouchers = voucher_exchange(user=volunteer, count=3, idempotency_key="backup")
    shop, clerk = make_shop("あおば商店")
    voucher_redeem(typed_code=_code(vouchers[0]), shop=shop, staff=clerk)
    source = url_of(connection.settings_dict["NAME"])
    before = audit_totals(source)
    assert "wallet=" in before[1] and "voucher_liability=" in before[1]

    backup = make("backup", database_url=source, BACKUP_DIR=str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.exists() and dump.stat().st_size > 0

    restore = make("restore", f"DUMP={dump}", database_url=source, RESTORE_URL=empty_database)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "points ledger audit passed" in restore.stdout
    assert audit_totals(empty_database) == before


def test_a_restore_into_a_database_in_use_changes_nothing(postgres, tmp_path):
    """pg_restore runs in one transaction: restoring over existing tables fails as a
    whole, and the database keeps exactly what it had."""
    volunteer = UserFactory(roles=["volunteer"])
    fund(wallet_for(volunteer), 1000)
    source = url_of(connection.settings_dict["NAME"])
    before = audit_totals(source)
    dump = make("backup", database_url=source, BACKUP_DIR=str(tmp_path)).stdout.split()[-1]
    fund(wallet_for(volunteer), 500)
    after_funding = audit_totals(source)
    assert after_funding != before

    restore = make("restore", f"DUMP={dump}", database_url=source)
    assert restore.returncode != 0
    assert audit_totals(source) == after_funding


def test_backup_refuses_sqlite(tmp_path):
    result = make("backup", database_url="sqlite:///var/db.sqlite3", BACKUP_DIR=str(tmp_path))
    assert result.returncode != 0 and "needs DATABASE_URL=postgres://" in result.stderr
    assert not list(tmp_path.iterdir())


def _code(voucher) -> str:
    from points.selectors import voucher_code

    return voucher_code(voucher)
