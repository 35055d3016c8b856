"""The readable ``points/ledger/sql/*.sql`` files are what the database has.

The migrations install the ledger's functions and triggers (0002, 0004, 0005, 0007);
the files keep their current text in one place. On PostgreSQL each file is executed
over the live objects in a transaction that is rolled back, and the database's own
definitions (``pg_get_functiondef``, ``pg_get_triggerdef``) must come out unchanged:
a file that drifts from what the latest migration installed fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.db import connection, transaction

import points.ledger

SQL_DIR = Path(points.ledger.__file__).parent / "sql"
FILES = sorted(SQL_DIR.glob("*.sql"))
MIGRATIONS = Path(points.ledger.__file__).parent.parent / "migrations"

FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\s*\(")
TRIGGER = re.compile(r"CREATE (?:CONSTRAINT )?TRIGGER (\w+)\s.*?\sON (\w+)\s", re.S)

# Where each body was last written: (migration, constant holding its SQL).
LATEST = {
    "points_post.sql": ("0007_points_post_generic_plans", "POINTS_POST"),
    "points_award_post.sql": ("0005_points_award_post", "FORWARD"),
    "points_entry_append_only.sql": ("0002_postgresql_invariants", "FORWARD"),
    "points_transaction_balanced.sql": ("0002_postgresql_invariants", "FORWARD"),
}


def installed() -> dict[str, str]:
    """Every ``points_*`` function and (non-internal) trigger on a ``points_*`` table,
    as the database prints its definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            r"""
            SELECT 'function ' || p.proname, pg_get_functiondef(p.oid)
              FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'points\_%'
            UNION ALL
            SELECT 'trigger ' || t.tgname, pg_get_triggerdef(t.oid)
              FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
              JOIN pg_namespace AS n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND NOT t.tgisinternal
               AND c.relname LIKE 'points\_%'
            """
        )
        return dict(cursor.fetchall())


def declared() -> set[str]:
    """The objects the files define, named as :func:`installed` names them."""
    names = set()
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        names |= {f"function {name}" for name in FUNCTION.findall(text)}
        names |= {f"trigger {name}" for name, _ in TRIGGER.findall(text)}
    return names


def test_every_file_is_listed_with_the_migration_that_last_wrote_it():
    assert {path.name for path in FILES} == set(LATEST)


@pytest.mark.parametrize("name", sorted(LATEST))
def test_each_body_is_the_one_the_latest_migration_wrote(name):
    """Without a database: every ``$$ … $$`` body of the file appears verbatim in the
    SQL of the migration that last replaced it."""
    migration, constant = LATEST[name]
    tree = ast.parse((MIGRATIONS / f"{migration}.py").read_text(encoding="utf-8"))
    source = next(
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == constant
    )
    bodies = re.findall(r"\$\$(.*?)\$\$", (SQL_DIR / name).read_text(encoding="utf-8"), re.S)
    assert bodies
    for body in bodies:
        assert f"$${body}$$" in source


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.usefixtures("postgres")
def test_the_files_name_every_function_and_trigger_the_database_has():
    assert declared() == set(installed())


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_file_is_what_the_database_has(path):
    """Executing the file over the live objects changes none of their definitions."""
    before = installed()
    text = path.read_text(encoding="utf-8")
    with transaction.atomic():
        with connection.cursor() as cursor:
            for trigger, table in TRIGGER.findall(text):
                # A trigger has no CREATE OR REPLACE for constraint triggers.
                cursor.execute(f'DROP TRIGGER "{trigger}" ON "{table}"')
            cursor.execute(text)
        after = installed()
        transaction.set_rollback(True)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert not changed, "\n\n".join(
        f"{name}\n--- database\n{before.get(name)}\n--- {path.name}\n{after.get(name)}"
        for name in sorted(changed)
    )
    assert installed() == before
