"""What the apps set up for a person when another app's decision gives them a role.

A volunteer application is decided in ``cms`` (the public sign-up page lives there),
but the volunteer's profile and the matching index belong to ``volunteers``, and the
two apps may not import each other (DESIGN.md §3). So the owning app registers its
set-up from ``AppConfig.ready()`` and the deciding app calls :func:`role_setup` inside
its own transaction, as ``core.navigation`` does for menu links. Registering the same
role again replaces the entry (``ready()`` may run more than once in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import District, Role, User


@dataclass(frozen=True)
class RoleSetup:
    #: ``handler(user=..., actor=..., district=...)``: an idempotent service of the
    #: owning app; runs in the caller's transaction and may raise its domain errors.
    handler: Callable[..., object]
    #: The back-office page (URL name taking the user's pk) where the person's
    #: record is completed next, if any.
    url_name: str | None = None


_setups: dict[str, RoleSetup] = {}


def register_role_setup(
    role: Role, handler: Callable[..., object], *, url_name: str | None = None
) -> None:
    """Run ``handler`` whenever :func:`role_setup` is called for ``role``."""
    _setups[str(role)] = RoleSetup(handler, url_name)


def role_setup(*, role: Role, user: User, actor: User, district: District | None = None) -> None:
    """Let the app that owns ``role`` set up its record of ``user`` (no-op if none
    registered). Call it after granting the role, in the same transaction."""
    setup = _setups.get(str(role))
    if setup is not None:
        setup.handler(user=user, actor=actor, district=district)


def role_setup_url_name(role: Role) -> str | None:
    """Where the record set up for ``role`` is completed in the back office."""
    setup = _setups.get(str(role))
    return setup.url_name if setup else None
