"""Small Wagtail admin helpers shared by the apps."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from wagtail.admin.menu import MenuItem


class PermissionMenuItem(MenuItem):
    """A menu item shown only to users with ``permission``."""

    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


class RoleMenuItem(MenuItem):
    """A menu item shown only to members of any of ``roles`` (and superusers), for
    pages guarded by role rather than by a model permission."""

    def __init__(self, *args, roles: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.roles = tuple(roles)

    def is_shown(self, request):
        return request.user.acts_as(*self.roles)


class GuardedViewMixin:
    """Admin views that only some users may open.

    Allowed: holders of ``permission`` (a Django permission string), members of any of
    ``roles``, and superusers. After the check, :meth:`load` may fetch the object the
    view works on (so a refused user never learns whether it exists).
    """

    permission: str | None = None
    roles: tuple[str, ...] = ()

    def permitted(self, user) -> bool:
        if self.permission and user.has_perm(self.permission):
            return True
        return user.acts_as(*self.roles)

    def load(self, **kwargs) -> None:
        """Fetch what the view needs from the URL kwargs (after the permission check)."""

    def get_breadcrumbs_items(self):
        """For Wagtail admin views (``WagtailAdminTemplateMixin`` after this mixin):
        the slim header names the page by its last breadcrumb, so without this every
        such page was headed ホーム (Home) instead of its own title. The label is the
        header title (title and subtitle): the subtitle says what the page is about
        (which proposal a scoring sheet is for), and the slim header shows no other."""
        return [*super().get_breadcrumbs_items(), {"url": "", "label": self.get_header_title()}]

    def get_header_title(self):
        """Title and subtitle joined the Japanese way (Wagtail's own is ``"a: b"``)."""
        title, subtitle = self.get_page_title(), self.get_page_subtitle()
        if not subtitle:
            return title
        return _("%(title)s: %(subtitle)s") % {"title": title, "subtitle": subtitle}

    def dispatch(self, request, *args, **kwargs):
        if not self.permitted(request.user):
            raise PermissionDenied
        self.load(**kwargs)
        return super().dispatch(request, *args, **kwargs)
