"""The Help menu points to the project's own Japanese guide, not to Wagtail's English
editor guide and release notes (both English, both on wagtail.org)."""

from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from core.guide import GuideView

#: Wagtail's own Help items that lead to English pages on wagtail.org.
WAGTAIL_ENGLISH_HELP = ("editor-guide", "whats-new-in-wagtail-")


@hooks.register("register_admin_urls")
def register_guide_url():
    return [path("guide/", GuideView.as_view(), name="core_guide")]


@hooks.register("register_help_menu_item")
def register_guide_menu_item():
    return MenuItem(
        _("How to use the back office"),
        reverse("core_guide"),
        icon_name="help",
        order=100,
        name="guide",
    )


@hooks.register("construct_help_menu")
def drop_wagtail_english_guides(request, menu_items):
    menu_items[:] = [item for item in menu_items if not item.name.startswith(WAGTAIL_ENGLISH_HELP)]


@hooks.register("insert_global_admin_css")
def admin_css():
    """The project's few additions to Wagtail's own styles (core/css/admin.css)."""
    return format_html('<link rel="stylesheet" href="{}">', static("core/css/admin.css"))
