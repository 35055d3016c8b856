"""Reads on users shared by views, the API and tasks."""

from accounts.models import User


def user_with_roles(*, pk: int) -> User:
    """One user with their role groups prefetched (one extra query, not one per check)."""
    return User.objects.prefetch_related("groups").get(pk=pk)


def user_managed_by(*, actor: User, user: User) -> bool:
    """May ``actor`` edit ``user``'s account in the back office?

    Superusers edit anyone; nobody else edits a superuser. Otherwise one edits one's own
    account, and the accounts of people whose every role one may grant (a coordinator
    edits residents and volunteers, not city staff), so changing someone's email or
    password never reaches above one's own standing.
    """
    from accounts.services import role_may_grant  # a read that asks the grant rule

    if actor.is_superuser:
        return True
    if user.is_superuser or not actor.is_active:
        return False
    if actor.pk == user.pk:
        return True
    return all(role_may_grant(actor=actor, role=role) for role in user.role_names)
