"""The public site in the Wagtail admin: collaboration proposals (city staff review,
score, enter paper ones, CSV/XLSX export), each call's scoring criteria and hearings,
volunteer applications (coordinators decide), the editors' group of each new district
association, and city staff's page buttons (an association's editors, closing a call,
publishing its results)."""

from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.widgets.button import Button, HeaderButton

from accounts.admin_search import NameSearchMixin
from accounts.models import Role
from cms.admin_views import (
    AssociationEditorsView,
    CallResultsPublishView,
    ProposalCallCloseView,
    ProposalPaperEnterView,
    ProposalReviewView,
    ProposalScoreView,
    VolunteerApplicationDecideView,
)
from cms.models import (
    DistrictAssociationPage,
    Proposal,
    ProposalCallPage,
    ProposalCriterion,
    ProposalHearing,
    VolunteerApplication,
)
from cms.selectors import events_moderated
from cms.services.associations import association_groups_sync
from core import formats
from core.admin_views import ModelViewSet
from core.exports import LocalisedIndexView


def _review_link(proposal: Proposal):
    url = reverse("cms_proposal_review", args=[proposal.pk])
    return format_html('<a href="{}">{}</a>', url, pgettext_lazy("proposal", "Review"))


def _channel(proposal: Proposal):
    if proposal.received_on_paper:
        return _("On paper (%(date)s)") % {"date": formats.date(proposal.received_on)}
    return _("Online")


class ProposalIndexView(LocalisedIndexView):
    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.acts_as(Role.CITY_STAFF):
            buttons.append(
                HeaderButton(
                    _("Enter a paper proposal"),
                    url=reverse("cms_proposal_paper"),
                    icon_name="plus",
                )
            )
        return buttons


class ProposalViewSet(ModelViewSet):
    """Read-only listing (with export); status changes go through the review view,
    proposals received on paper are entered through their own view."""

    model = Proposal
    index_view_class = ProposalIndexView
    icon = "doc-full"
    menu_label = _("Collaboration proposals")
    add_to_admin_menu = True
    menu_order = 450
    list_display = [
        "title",
        "group_name",
        "call",
        "status",
        Column("received_on_paper", label=_("How received"), accessor=_channel),
        "submitted_at",
        Column("review", label="", accessor=_review_link),
    ]
    list_filter = ["status", "call", "received_on_paper"]
    search_fields = ["title", "group_name", "representative"]
    list_export = [
        "pk",
        "reference",
        "call",
        "title",
        "group_name",
        "representative",
        "members_count",
        "years_active",
        "purpose",
        "content",
        "expected_effect",
        "role_division",
        "budget_total",
        "status",
        "received_on_paper",
        "received_on",
        "submitted_at",
    ]
    # Without these the headings are Wagtail's guesses from the attribute names
    # ("Pk", "Budget total"), in English whatever the language.
    export_headings = {
        "pk": _("ID"),
        "reference": _("Reference number"),
        "budget_total": _("Budget total"),
    }
    export_filename = "proposals"
    # Typo corrections only (superusers); the status moves through the review view.
    form_fields = ["title", "group_name", "representative"]
    inspect_view_enabled = True

    def get_queryset(self, request):
        return Proposal.objects.select_related("call", "entered_by").prefetch_related(
            "budget_lines"
        )


def _decide_link(application: VolunteerApplication):
    if application.status != VolunteerApplication.Status.PENDING:
        return ""
    url = reverse("cms_volunteer_application_decide", args=[application.pk])
    return format_html('<a href="{}">{}</a>', url, _("Decide"))


class VolunteerApplicationIndexView(NameSearchMixin, IndexView):
    """Search by name, kana (katakana, hiragana or half-width) or email."""

    name_search = {"others": ("email",)}


class VolunteerApplicationViewSet(ModelViewSet):
    model = VolunteerApplication
    index_view_class = VolunteerApplicationIndexView
    icon = "user"
    menu_label = _("Volunteer applications")
    add_to_admin_menu = True
    menu_order = 460
    list_display = [
        "full_name",
        "email",
        "district",
        "status",
        "created_at",
        Column("decide", label="", accessor=_decide_link),
    ]
    list_filter = ["status", "district"]
    search_fields = ["full_name", "full_name_kana", "email"]
    form_fields = ["message"]
    inspect_view_enabled = True


class ProposalCriterionViewSet(ModelViewSet):
    """The criteria each call's proposals are scored on (city staff)."""

    model = ProposalCriterion
    icon = "list-ol"
    menu_label = _("Scoring criteria")
    add_to_admin_menu = True
    menu_order = 451
    list_display = ["name", "call", "position"]
    list_filter = ["call"]
    form_fields = ["call", "name", "description", "position"]
    protected_hint = _("Reviewers have scored on this criterion; it can no longer be deleted.")


class ProposalHearingViewSet(ModelViewSet):
    """Public hearings and review meetings of a call or a proposal (city staff); they
    show on the call's public hearings page."""

    model = ProposalHearing
    icon = "date"
    menu_label = _("Hearings")
    add_to_admin_menu = True
    menu_order = 452
    list_display = ["title", "call", "proposal", "starts_at", "place"]
    list_filter = ["call"]
    form_fields = ["call", "proposal", "title", "starts_at", "ends_at", "place", "notes"]


@hooks.register("register_admin_viewset")
def register_proposals():
    return ProposalViewSet("proposals")


@hooks.register("register_admin_viewset")
def register_proposal_criteria():
    return ProposalCriterionViewSet("proposal_criteria")


@hooks.register("register_admin_viewset")
def register_proposal_hearings():
    return ProposalHearingViewSet("proposal_hearings")


@hooks.register("register_admin_viewset")
def register_volunteer_applications():
    return VolunteerApplicationViewSet("volunteer_applications")


@hooks.register("after_create_page")
def give_new_association_its_editors_group(request, page):
    """A district association added in the admin gets its editors' group at once,
    rather than when someone next runs ``cms_association_groups``, under the
    moderation in force (not the setting's default, which would undo ``--moderated``)."""
    if isinstance(page.specific, DistrictAssociationPage):
        association_groups_sync(moderated=events_moderated())


def _association_editors_button(page, user):
    if page.specific_class is DistrictAssociationPage and user.acts_as(Role.CITY_STAFF):
        yield Button(
            _("Editors"),
            url=reverse("cms_association_editors", args=[page.pk]),
            icon_name="group",
            priority=80,
        )


def _call_close_button(page, user):
    if page.specific_class is not ProposalCallPage or not user.acts_as(Role.CITY_STAFF):
        return
    call = page.specific_deferred
    if call.live and call.is_open() and call.permissions_for_user(user).can_publish():
        yield Button(
            _("Close now"),
            url=reverse("cms_call_close", args=[page.pk]),
            icon_name="lock",
            priority=80,
        )


def _results_publish_button(page, user):
    if page.specific_class is not ProposalCallPage or not user.acts_as(Role.CITY_STAFF):
        return
    call = page.specific_deferred
    if call.live and not call.is_open():
        yield Button(
            _("Publish the results"),
            url=reverse("cms_call_results_publish", args=[page.pk]),
            icon_name="globe",
            priority=81,
        )


@hooks.register("register_page_header_buttons")
def city_staff_header_buttons(page, user, view_name=None, next_url=None):
    yield from _association_editors_button(page, user)
    yield from _call_close_button(page, user)
    yield from _results_publish_button(page, user)


@hooks.register("register_page_listing_more_buttons")
def city_staff_listing_buttons(page, user, next_url=None):
    yield from _association_editors_button(page, user)
    yield from _call_close_button(page, user)
    yield from _results_publish_button(page, user)


@hooks.register("register_admin_urls")
def register_cms_urls():
    return [
        path("proposals/paper/", ProposalPaperEnterView.as_view(), name="cms_proposal_paper"),
        path("calls/<int:pk>/close/", ProposalCallCloseView.as_view(), name="cms_call_close"),
        path(
            "associations/<int:pk>/editors/",
            AssociationEditorsView.as_view(),
            name="cms_association_editors",
        ),
        path(
            "proposals/<int:pk>/review/", ProposalReviewView.as_view(), name="cms_proposal_review"
        ),
        path("proposals/<int:pk>/score/", ProposalScoreView.as_view(), name="cms_proposal_score"),
        path(
            "calls/<int:pk>/results/",
            CallResultsPublishView.as_view(),
            name="cms_call_results_publish",
        ),
        path(
            "volunteer-applications/<int:pk>/decide/",
            VolunteerApplicationDecideView.as_view(),
            name="cms_volunteer_application_decide",
        ),
    ]
