"""A resident's page: details, request history and who has seen them."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet

from accounts.kana import name_search_q
from accounts.models import Role, User
from core.admin import GuardedViewMixin
from volunteers.admin.access_log import log_personal_data
from volunteers.admin.base import CoordinatorView
from volunteers.models import Resident
from volunteers.selectors.consent import consent_in_force
from volunteers.selectors.personal_data import erasure_date


class ResidentView(CoordinatorView, TemplateView):
    """A resident's details (coordinators only) and their request history."""

    template_name = "volunteers/admin/resident.html"
    header_icon = "user"

    def load(self, pk):
        self.resident = get_object_or_404(
            Resident.objects.select_related("district", "user"), pk=pk
        )

    def get_page_title(self):
        return self.resident.full_name

    def get_context_data(self, **kwargs):
        history = (
            self.resident.requests.select_related("category", "assignment__volunteer")
            .order_by("-starts_at")
            .all()[:100]
        )
        # Every look by a volunteer is logged; coordinators can see who and when.
        access_log = self.resident.access_log.select_related("user", "assignment")[:50]
        log_personal_data(self.request, [self.resident])
        return super().get_context_data(
            resident=self.resident,
            history=history,
            access_log=access_log,
            consents=self.resident.consents.select_related("recorded_by", "wording")[:20],
            consent_in_force=consent_in_force(self.resident),
            erase_on=erasure_date(self.resident.left_on, resident=True),
            **kwargs,
        )


# --- Linking a resident to their account ---------------------------------------------


class AccountSearchForm(BaseFilterForm):
    """The chooser's search box: name, kana in any script, or email."""

    q = forms.CharField(
        label=_("Name, kana or email"),
        widget=forms.TextInput(attrs={"placeholder": _("Search")}),
        required=False,
    )

    def filter(self, objects):
        query = self.cleaned_data.get("q", "").strip()
        if query:
            objects = objects.filter(name_search_q(query, others=("email",)))
            self.is_searching, self.search_query = True, query
        return objects


class _AccountChooserMixin(GuardedViewMixin):
    """Coordinators only: the chooser lists people's names and email addresses."""

    roles = (Role.COORDINATOR,)
    filter_form_class = AccountSearchForm

    def get_object_list(self):
        return User.objects.filter(is_active=True).order_by("full_name_kana", "pk")

    @property
    def columns(self):
        return [
            *super().columns,
            Column("email", label=_("Email address"), accessor="email"),
        ]


class AccountChooseView(_AccountChooserMixin, chooser_views.ChooseView):
    pass


class AccountChooseResultsView(_AccountChooserMixin, chooser_views.ChooseResultsView):
    pass


class AccountChosenView(GuardedViewMixin, chooser_views.ChosenView):
    roles = (Role.COORDINATOR,)


class AccountCreateView(GuardedViewMixin, chooser_views.CreateView):
    roles = (Role.COORDINATOR,)

    def post(self, request, *args, **kwargs):
        raise Http404  # the chooser has no creation form: accounts are made elsewhere


class AccountChooserViewSet(ChooserViewSet):
    """Pick an existing account for a resident's record (the residents' form)."""

    model = User
    icon = "user"
    choose_one_text = _("Choose an account")
    choose_another_text = _("Choose another account")
    edit_item_text = _("Edit this account")
    choose_view_class = AccountChooseView
    choose_results_view_class = AccountChooseResultsView
    chosen_view_class = AccountChosenView
    create_view_class = AccountCreateView  # no creation form: refused to all but coordinators
    # Only the residents' form uses it; other forms keep their own widgets.
    register_widget = False


account_chooser_viewset = AccountChooserViewSet("aid_account_chooser")
