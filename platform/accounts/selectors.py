"""Reads on users shared by views, the API and tasks."""

from accounts.models import User


def user_with_roles(*, pk: int) -> User:
    """One user with their role groups prefetched (one extra query, not one per check)."""
    return User.objects.prefetch_related("groups").get(pk=pk)
