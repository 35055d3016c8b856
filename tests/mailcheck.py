"""A test mail backend that fails any mail sent inside a database transaction.

Installed for the whole suite (``tests/conftest.py``), so every path that sends mail
and has a test is checked: mail must go out after commit, from a task, with no
transaction open (and so no row lock held). The atomic blocks pytest-django's test
case opens around each test are not counted (Django marks them ``_from_testcase``).
"""

from __future__ import annotations

from django.core.mail.backends.locmem import EmailBackend
from django.db import connections


def open_transactions() -> list[str]:
    """Aliases of the connections with a transaction of the code's own open."""
    return [
        connection.alias
        for connection in connections.all(initialized_only=True)
        if any(not block._from_testcase for block in connection.atomic_blocks)
    ]


class MailOutsideTransactionBackend(EmailBackend):
    def send_messages(self, messages):
        inside = open_transactions()
        assert not inside, (
            f"mail sent inside a database transaction on {inside}: "
            f"{[message.subject for message in messages]}"
        )
        return super().send_messages(messages)
