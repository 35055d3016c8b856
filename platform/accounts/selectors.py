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


#: The prefix of a district association's editors' group (``association-<district
#: code>``, named by ``cms.selectors.association_group_name``).
ASSOCIATION_GROUP_PREFIX = "association-"


def group_display_name(group) -> str:
    """A group as people read it: a role's name (コーディネーター), or "<district>の地域協議会
    編集者" for an association's editors; any other group by its own name. The stored
    names are codes the software looks groups up by, so they stay as they are."""
    from django.utils.translation import gettext

    from accounts.models import District, Role

    if group.name in Role.values:
        return str(Role(group.name).label)
    if group.name.startswith(ASSOCIATION_GROUP_PREFIX):
        code = group.name.removeprefix(ASSOCIATION_GROUP_PREFIX)
        district = District.objects.filter(code=code).only("name").first()
        if district is not None:
            return gettext("Editors of the %(district)s association") % {"district": district.name}
    return group.name
