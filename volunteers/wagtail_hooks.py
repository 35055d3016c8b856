"""The activity log in the Wagtail admin: places (with posters), the review queue and
paper sign-in entry."""

from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin import PermissionMenuItem
from volunteers.admin_views import ManualEntryView, ReprintView, ReviewQueueView, ReviewView
from volunteers.models import Place


def _poster_links(place: Place):
    return format_html(
        '<a href="{}" target="_blank">{}</a> · <a href="{}">{}</a>',
        reverse("place-poster", args=[place.pk]),
        _("Poster"),
        reverse("place_reprint", args=[place.pk]),
        _("Reprint"),
    )


class PlaceViewSet(ModelViewSet):
    model = Place
    icon = "site"
    menu_label = _("Places")
    add_to_admin_menu = True
    menu_order = 300
    list_display = [
        "name",
        "kind",
        "district",
        "earning_rule",
        Column("poster", label=_("QR poster"), accessor=_poster_links),
    ]
    list_filter = ["kind", "district", "active"]
    search_fields = ["name", "address"]
    form_fields = [
        "name",
        "kind",
        "district",
        "address",
        "earning_rule",
        "hosts",
        "closes_at",
        "max_minutes",
        "active",
    ]


@hooks.register("register_admin_viewset")
def register_places():
    return PlaceViewSet("places")


@hooks.register("register_admin_urls")
def register_activity_urls():
    return [
        path("activities/review/", ReviewQueueView.as_view(), name="activity_review_queue"),
        path(
            "activities/review/results/",
            ReviewQueueView.as_view(results_only=True),
            name="activity_review_queue_results",
        ),
        path("activities/review/<int:pk>/", ReviewView.as_view(), name="activity_review"),
        path("activities/enter/", ManualEntryView.as_view(), name="activity_manual_entry"),
        path("places/<int:pk>/reprint/", ReprintView.as_view(), name="place_reprint"),
    ]


@hooks.register("register_admin_menu_item")
def register_review_menu_item():
    return PermissionMenuItem(
        _("Activities to review"),
        reverse("activity_review_queue"),
        icon_name="warning",
        order=310,
        permission="volunteers.change_activity",
    )


@hooks.register("register_admin_menu_item")
def register_entry_menu_item():
    return PermissionMenuItem(
        _("Enter sign-in sheet"),
        reverse("activity_manual_entry"),
        icon_name="form",
        order=320,
        permission="volunteers.add_activity",
    )
