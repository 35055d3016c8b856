"""Back-office hooks of the accounts app: districts (a settings item for city staff,
with a spreadsheet import), the go-live checklist on the dashboard, and Wagtail's bulk
actions on users obeying the same rules as the user pages (``accounts.users_admin``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.widgets.button import HeaderButton

from accounts.admin.districts import DistrictImportView
from accounts.admin.golive import GoLivePanel
from accounts.kana import normalize_kana
from accounts.models import District, Role, User
from accounts.selectors import user_managed_by
from core.admin import PermissionMenuItem
from core.admin_views import ModelViewSet


class DistrictIndexView(IndexView):
    """Search by name, code or reading, in hiragana, katakana or half-width kana; the
    spreadsheet import is a button next to "add"."""

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm("accounts.add_district"):
            buttons.append(
                HeaderButton(
                    _("Import districts"),
                    url=reverse("accounts_district_import"),
                    icon_name="upload",
                )
            )
        return buttons

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        kana = normalize_kana(query)
        return queryset.filter(
            Q(name__icontains=query) | Q(code__icontains=query) | Q(name_kana__icontains=kana)
        )


class DistrictViewSet(ModelViewSet):
    """Districts are closed (not deleted): residents, shops and pages keep theirs."""

    model = District
    index_view_class = DistrictIndexView
    icon = "site"
    menu_label = _("Districts")
    add_to_settings_menu = True
    menu_order = 100
    list_display = ["name", "name_kana", "code", "sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "name_kana", "code"]
    form_fields = ["code", "name", "name_kana", "sort_order", "is_active"]
    copy_view_enabled = False


@hooks.register("register_admin_viewset")
def register_districts():
    return DistrictViewSet("districts")


@hooks.register("register_admin_urls")
def register_district_import_url():
    return [
        path("districts/import/", DistrictImportView.as_view(), name="accounts_district_import")
    ]


@hooks.register("register_settings_menu_item")
def register_district_import_menu_item():
    return PermissionMenuItem(
        _("Import districts"),
        reverse("accounts_district_import"),
        icon_name="upload",
        order=101,
        permission="accounts.add_district",
    )


@hooks.register("construct_homepage_panels")
def add_go_live_panel(request, panels):
    if request.user.acts_as(Role.CITY_STAFF):
        panels.append(GoLivePanel())


@hooks.register("before_bulk_action")
def users_bulk_action_check(request, action_type, objects, action_class_instance):
    """Wagtail's "assign role" adds any group directly: only a superuser may use it
    (everyone else grants roles on the user's page, through ``role_grant``). Activating
    or deactivating in bulk reaches only accounts the actor may edit, never their own."""
    if User not in getattr(action_class_instance, "models", ()):
        return None
    actor = request.user
    if action_type == "assign_role" and not actor.is_superuser:
        raise PermissionDenied
    if action_type == "set_active_state" and any(
        user.pk == actor.pk or not user_managed_by(actor=actor, user=user) for user in objects
    ):
        raise PermissionDenied
    return None
