"""The activity log in the Wagtail admin: places (with posters), the review queue and
paper sign-in entry."""

from django import forms
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import RedirectView
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import CreateView, EditView, IndexView
from wagtail.admin.viewsets.base import ViewSetGroup

from accounts.admin_search import NameSearchMixin
from accounts.forms import OpenDistrictsViewSetMixin
from accounts.models import Role
from core import formats
from core.admin import PermissionMenuItem, RoleMenuItem
from core.admin_views import ModelViewSet
from volunteers.admin.access_log import PersonalDataAccessReportView, log_personal_data
from volunteers.admin.activity import (
    ManualEntryView,
    ReevaluateView,
    ReprintView,
    ReviewQueueView,
    ReviewView,
)
from volunteers.admin.board import BoardView, IntakeView
from volunteers.admin.consent import (
    PaperPledgePrintView,
    PaperPledgeView,
    ResidentConsentView,
    WordingsView,
)
from volunteers.admin.imports import VolunteerImportView
from volunteers.admin.insurance import (
    MANAGERS,
    AttendanceView,
    CancelView,
    EnrolmentListView,
    EnrolView,
    RenewalView,
)
from volunteers.admin.personal_data import (
    PersonalDataRequestsView,
    ResidentDisclosureView,
    ResidentErasureView,
    ResidentLeaveView,
    ResidentReturnView,
    VolunteerDisclosureView,
    VolunteerErasureView,
    VolunteerLeaveView,
    VolunteerReturnView,
)
from volunteers.admin.reports import AssignmentReportView, MonthlyCountsPanel, RequestReportView
from volunteers.admin.request_page import (
    AssignmentConfirmView,
    AssignmentFinishView,
    AssignmentNoShowView,
    AssignmentReevaluateView,
    AssignmentStartView,
    RequestAssignView,
    RequestCancelView,
    RequestOfferView,
    RequestView,
)
from volunteers.admin.residents import ResidentView, account_chooser_viewset
from volunteers.admin.volunteers import (
    VolunteerAwayView,
    VolunteerCardReissueView,
    VolunteerCardView,
    VolunteerRegisterView,
    VolunteerView,
)
from volunteers.models import (
    CentreClosure,
    HelpCategory,
    Place,
    Resident,
    StandingRequest,
    StandingRequestSkip,
    TrainingSession,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.selectors.help_requests import residents_search
from volunteers.selectors.training import sessions_with_counts
from volunteers.services.standing import standing_skip_add


def _poster_links(place: Place):
    return format_html(
        '<a href="{}" target="_blank">{}</a> · <a href="{}">{}</a>',
        reverse("place-poster", args=[place.pk]),
        _("Poster"),
        reverse("place_reprint", args=[place.pk]),
        _("Reprint"),
    )


#: The page host staff use to prove presence at a place of each kind (none for card
#: places: the host scans the card with a phone).
HOST_PAGES = {
    Place.Presence.HOST: ("place-checkins", _("Check-ins to confirm")),
    Place.Presence.KIOSK: ("place-kiosk", _("Kiosk screen")),
}


def _host_links(place: Place):
    """The place's host page, to hand to its host staff (they open it signed in)."""
    if place.presence not in HOST_PAGES:
        return "—"
    url_name, label = HOST_PAGES[place.presence]
    return format_html(
        '<a href="{}" target="_blank" title="{}">{}</a>',
        reverse(url_name, args=[place.pk]),
        _("For the place's host staff, signed in"),
        label,
    )


class PlaceViewSet(OpenDistrictsViewSetMixin, ModelViewSet):
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
        "presence",
        Column("poster", label=_("QR poster"), accessor=_poster_links),
        Column("host_page", label=_("Host page"), accessor=_host_links),
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
        "presence",
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
        path(
            "activities/review/<int:pk>/reevaluate/",
            ReevaluateView.as_view(),
            name="activity_reevaluate",
        ),
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


# --- The mutual-aid centre ----------------------------------------------------------


class ResidentIndexView(IndexView):
    """Search by name, kana (katakana, hiragana or half-width), phone number in any
    format, or address."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return queryset.filter(pk__in=residents_search(self.search_query).values("pk"))


def _resident_link(resident: Resident):
    return format_html(
        '<a href="{}">{}</a> · <a href="{}">{}</a>',
        reverse("aid_resident", args=[resident.pk]),
        _("History"),
        reverse("aid_intake", args=[resident.pk]),
        _("Take a request"),
    )


class ResidentEditView(EditView):
    """The resident's form shows every detail (address, phone, emergency contact,
    notes): each opening is in the personal data access log."""

    def get_object(self):
        resident = super().get_object()
        if resident.anonymised_at:  # nothing left to edit, nor to type back in
            raise Http404
        return resident

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        log_personal_data(request, [self.object])
        return response


class ResidentViewSet(OpenDistrictsViewSetMixin, ModelViewSet):
    model = Resident
    icon = "user"
    menu_label = _("Residents")
    index_view_class = ResidentIndexView
    edit_view_class = ResidentEditView
    list_display = [
        "full_name",
        "full_name_kana",
        "district",
        "address",
        "phone",
        Column("links", label="", accessor=_resident_link),
    ]
    list_filter = ["district", "living", "active"]
    search_fields = ["full_name", "full_name_kana", "address"]
    form_fields = [
        "full_name",
        "full_name_kana",
        "gender",
        "address",
        "district",
        "phone",
        "emergency_contact",
        "living",
        "prefers_same_gender",
        "prefers_familiar",
        "notes",
        # Not "active": leaving is recorded on the resident's page (a date and why),
        # which starts the retention period; a bare tick box would start nothing.
        "user",
    ]

    def formfield_for_dbfield(self, db_field, **kwargs):
        if db_field.name == "user":  # searched by name, kana or email, not a long list
            kwargs["widget"] = account_chooser_viewset.widget_class()
        return super().formfield_for_dbfield(db_field, **kwargs)


class VolunteerIndexView(NameSearchMixin, IndexView):
    """Search by name, kana (katakana, hiragana or half-width) or email."""

    name_search = {
        "names": ("user__full_name",),
        "kanas": ("user__full_name_kana",),
        "others": ("user__email",),
    }


def _volunteer_link(profile: VolunteerProfile):
    return format_html(
        '<a href="{}">{}</a>', reverse("aid_volunteer", args=[profile.pk]), _("Profile and history")
    )


class VolunteerProfileViewSet(ModelViewSet):
    """The list of volunteers; each opens its own page (profile form and history)."""

    model = VolunteerProfile
    index_view_class = VolunteerIndexView
    icon = "group"
    menu_label = _("Volunteers")
    list_display = [
        "user",
        "home_district",
        "has_car",
        "insurance_valid_until",
        "active",
        Column("links", label="", accessor=_volunteer_link),
    ]
    list_filter = ["home_district", "has_car", "active", "skills"]
    search_fields = ["user__full_name", "user__full_name_kana", "user__email"]
    form_fields = ["active"]
    copy_view_enabled = False

    @property
    def add_view(self):
        """Volunteers are registered on their own page (an account with a profile):
        the generic create form, which would make a profile without a user, is not
        offered."""
        return RedirectView.as_view(pattern_name="aid_volunteer_register")


class HelpCategoryViewSet(ModelViewSet):
    model = HelpCategory
    icon = "tag"
    menu_label = _("Help categories")
    list_display = ["name", "code", "fee_yen", "fee_unit_minutes", "earning_rule", "active"]
    form_fields = [
        "name",
        "code",
        "fee_yen",
        "fee_unit_minutes",
        "service_starts",
        "service_ends",
        "prefers_car",
        "earning_rule",
        "sort_order",
        "active",
    ]


class StandingRequestViewSet(ModelViewSet):
    """Standing requests; beat creates their requests ahead, skipping marked dates."""

    model = StandingRequest
    icon = "repeat"
    menu_label = _("Standing requests")
    list_display = [
        "resident",
        "category",
        Column("weekdays", label=_("weekdays"), accessor="weekday_names"),
        "starts",
        "first_date",
        "active",
    ]
    list_filter = ["category", "active"]
    form_fields = [
        "resident",
        "category",
        "weekdays",
        "starts",
        "duration_minutes",
        "place",
        "notes",
        "first_date",
        "last_date",
        "active",
    ]

    def formfield_for_dbfield(self, db_field, **kwargs):
        if db_field.name == "weekdays":  # ticked days, not JSON typed by hand
            return forms.TypedMultipleChoiceField(
                label=db_field.verbose_name,
                choices=WeeklyAvailability.Weekday.choices,
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
            )
        return super().formfield_for_dbfield(db_field, **kwargs)


class SkipCreateView(CreateView):
    """Marking a date goes through the service: a request beat already generated
    for that date is cancelled as well."""

    def save_instance(self):
        data = self.form.cleaned_data
        return standing_skip_add(
            standing=data["standing"], date=data["date"], actor=self.request.user
        )


class SkipEditView(EditView):
    """Moving a skipped date cancels the request already generated for the new one."""

    def save_instance(self):
        skip = super().save_instance()
        return standing_skip_add(standing=skip.standing, date=skip.date, actor=self.request.user)


class StandingRequestSkipViewSet(ModelViewSet):
    model = StandingRequestSkip
    add_view_class = SkipCreateView
    edit_view_class = SkipEditView
    icon = "date"
    menu_label = _("Skipped dates")
    list_display = ["standing", "date"]
    form_fields = ["standing", "date"]


class CentreClosureViewSet(ModelViewSet):
    """The centre's calendar: public holidays, the yearly closure (年末年始) and
    one-off closures. Intake refuses those days and beat generates nothing on them."""

    model = CentreClosure
    icon = "calendar"
    menu_label = _("The centre's calendar")
    list_display = [
        "__str__",
        "kind",
        Column("period", label=pgettext_lazy("closure", "dates"), accessor="period"),
    ]
    form_fields = ["kind", "name", "first_date", "last_date"]


def _attendance_link(session: TrainingSession):
    return format_html(
        '<a class="button button-small button-secondary" href="{}">{}</a>',
        reverse("aid_training_attendance", args=[session.pk]),
        _("Record attendance"),
    )


class TrainingIndexView(IndexView):
    def get_base_queryset(self):
        return sessions_with_counts()


class TrainingSessionViewSet(ModelViewSet):
    """Training sessions (研修); each has its attendance page."""

    model = TrainingSession
    index_view_class = TrainingIndexView
    icon = "clipboard-list"
    menu_label = _("Training sessions")
    list_display = [
        "title",
        Column("starts_at", label=_("starts at"), accessor=lambda s: formats.datetime(s.starts_at)),
        "place",
        "capacity",
        Column("attended_count", label=_("Attended")),
        Column("attendance", label="", accessor=_attendance_link),
    ]
    search_fields = ["title", "place"]
    form_fields = ["title", "starts_at", "place", "capacity", "notes"]
    copy_view_enabled = False
    protected_hint = _("A session with recorded attendance stays as a record.")


class MutualAidGroup(ViewSetGroup):
    menu_label = _("Mutual-aid centre")
    menu_icon = "group"
    menu_order = 250
    # The cash pages join the group's submenu through this hook (see below).
    submenu_hook = "register_mutual_aid_menu_item"
    items = (
        ResidentViewSet("aid_residents"),
        VolunteerProfileViewSet("aid_volunteers"),
        HelpCategoryViewSet("aid_categories"),
        StandingRequestViewSet("aid_standing"),
        StandingRequestSkipViewSet("aid_skips"),
        CentreClosureViewSet("aid_closures"),
        TrainingSessionViewSet("aid_training"),
    )


@hooks.register("register_admin_viewset")
def register_mutual_aid():
    return MutualAidGroup()


@hooks.register("register_admin_viewset")
def register_account_chooser():
    return account_chooser_viewset


@hooks.register("register_admin_urls")
def register_request_step_urls():
    """Each step on the request page posts to its own view."""
    return [
        path(
            "aid/requests/<int:pk>/offer/",
            RequestOfferView.as_view(),
            name="aid_request_offer",
        ),
        path(
            "aid/requests/<int:pk>/assign/",
            RequestAssignView.as_view(),
            name="aid_request_assign",
        ),
        path(
            "aid/requests/<int:pk>/cancel/",
            RequestCancelView.as_view(),
            name="aid_request_cancel",
        ),
        path(
            "aid/requests/<int:pk>/confirm/",
            AssignmentConfirmView.as_view(),
            name="aid_request_confirm",
        ),
        path(
            "aid/requests/<int:pk>/start/",
            AssignmentStartView.as_view(),
            name="aid_request_start",
        ),
        path(
            "aid/requests/<int:pk>/finish/",
            AssignmentFinishView.as_view(),
            name="aid_request_finish",
        ),
        path(
            "aid/requests/<int:pk>/no-show/",
            AssignmentNoShowView.as_view(),
            name="aid_request_no_show",
        ),
        path(
            "aid/requests/<int:pk>/reevaluate/",
            AssignmentReevaluateView.as_view(),
            name="aid_request_reevaluate",
        ),
    ]


@hooks.register("register_admin_urls")
def register_aid_urls():
    return [
        path("aid/", BoardView.as_view(), name="aid_board"),
        path("aid/residents/<int:pk>/", ResidentView.as_view(), name="aid_resident"),
        path("aid/residents/<int:pk>/intake/", IntakeView.as_view(), name="aid_intake"),
        path(
            "aid/residents/<int:pk>/consent/",
            ResidentConsentView.as_view(),
            name="aid_resident_consent",
        ),
        path(
            "aid/volunteers/<int:pk>/pledge/",
            PaperPledgeView.as_view(),
            name="aid_volunteer_pledge",
        ),
        path(
            "aid/volunteers/<int:pk>/pledge/print/",
            PaperPledgePrintView.as_view(),
            name="aid_volunteer_pledge_print",
        ),
        path("aid/wordings/", WordingsView.as_view(), name="aid_wordings"),
        path(
            "aid/residents/<int:pk>/leave/", ResidentLeaveView.as_view(), name="aid_resident_leave"
        ),
        path(
            "aid/residents/<int:pk>/return/",
            ResidentReturnView.as_view(),
            name="aid_resident_return",
        ),
        path(
            "aid/volunteers/<int:pk>/leave/",
            VolunteerLeaveView.as_view(),
            name="aid_volunteer_leave",
        ),
        path(
            "aid/volunteers/<int:pk>/return/",
            VolunteerReturnView.as_view(),
            name="aid_volunteer_return",
        ),
        path("aid/personal-data/", PersonalDataRequestsView.as_view(), name="aid_personal_data"),
        path(
            "aid/personal-data/residents/<int:pk>/",
            ResidentDisclosureView.as_view(),
            name="aid_resident_disclosure",
        ),
        path(
            "aid/personal-data/residents/<int:pk>/erase/",
            ResidentErasureView.as_view(),
            name="aid_resident_erase",
        ),
        path(
            "aid/personal-data/volunteers/<int:pk>/",
            VolunteerDisclosureView.as_view(),
            name="aid_volunteer_disclosure",
        ),
        path(
            "aid/personal-data/volunteers/<int:pk>/erase/",
            VolunteerErasureView.as_view(),
            name="aid_volunteer_erase",
        ),
        path("aid/requests/<int:pk>/", RequestView.as_view(), name="aid_request"),
        path("aid/volunteers/<int:pk>/", VolunteerView.as_view(), name="aid_volunteer"),
        path(
            "aid/volunteers/<int:pk>/away/", VolunteerAwayView.as_view(), name="aid_volunteer_away"
        ),
        path(
            "aid/volunteers/<int:pk>/card/", VolunteerCardView.as_view(), name="aid_volunteer_card"
        ),
        path(
            "aid/volunteers/<int:pk>/card/reissue/",
            VolunteerCardReissueView.as_view(),
            name="aid_volunteer_card_reissue",
        ),
        path(
            "aid/volunteers/register/",
            VolunteerRegisterView.as_view(),
            name="aid_volunteer_register",
        ),
        path("aid/volunteers/import/", VolunteerImportView.as_view(), name="aid_volunteer_import"),
        path("aid/requests/", RequestReportView.as_view(), name="aid_requests"),
        path(
            "aid/requests/results/",
            RequestReportView.as_view(results_only=True),
            name="aid_requests_results",
        ),
        path("aid/assignments/", AssignmentReportView.as_view(), name="aid_assignments"),
        path(
            "aid/assignments/results/",
            AssignmentReportView.as_view(results_only=True),
            name="aid_assignments_results",
        ),
    ]


@hooks.register("register_admin_urls")
def register_insurance_urls():
    return [
        path("aid/insurance/", EnrolmentListView.as_view(), name="aid_insurance"),
        path(
            "aid/insurance/results/",
            EnrolmentListView.as_view(results_only=True),
            name="aid_insurance_results",
        ),
        path("aid/insurance/enrol/", EnrolView.as_view(), name="aid_insurance_enrol"),
        path("aid/insurance/renewal/", RenewalView.as_view(), name="aid_insurance_renewal"),
        path("aid/insurance/<int:pk>/cancel/", CancelView.as_view(), name="aid_insurance_cancel"),
        path(
            "aid/training/<int:pk>/attendance/",
            AttendanceView.as_view(),
            name="aid_training_attendance",
        ),
    ]


@hooks.register("register_mutual_aid_menu_item")
def register_insurance_menu_item():
    return RoleMenuItem(
        _("Volunteer activity insurance"),
        reverse("aid_insurance"),
        icon_name="doc-full",
        order=22,
        roles=MANAGERS,
    )


@hooks.register("register_admin_urls")
def register_personal_data_access_urls():
    return [
        path(
            "aid/personal-data-access/",
            PersonalDataAccessReportView.as_view(),
            name="aid_personal_data_access",
        ),
        path(
            "aid/personal-data-access/results/",
            PersonalDataAccessReportView.as_view(results_only=True),
            name="aid_personal_data_access_results",
        ),
    ]


@hooks.register("register_admin_urls")
def register_fiscal_report_urls():
    """The fiscal-year report, its print, its workbook and its open-data tables."""
    from volunteers.admin.fiscal import (
        FiscalReportPrintView,
        FiscalReportView,
        FiscalReportXlsxView,
        OpenDataCsvView,
    )

    return [
        path("reports/annual/", FiscalReportView.as_view(), name="fiscal_report"),
        path("reports/annual/print/", FiscalReportPrintView.as_view(), name="fiscal_report_print"),
        path("reports/annual/xlsx/", FiscalReportXlsxView.as_view(), name="fiscal_report_xlsx"),
        path(
            "reports/annual/open-data/<slug:table>/",
            OpenDataCsvView.as_view(),
            name="fiscal_open_data",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_fiscal_report_menu_item():
    from volunteers.admin.fiscal import REPORT_ROLES

    return RoleMenuItem(
        _("Annual report"),
        reverse("fiscal_report"),
        icon_name="table",
        order=100,
        roles=REPORT_ROLES,
    )


@hooks.register("register_reports_menu_item")
def register_personal_data_access_menu_item():
    return PermissionMenuItem(
        _("Personal data access log"),
        reverse("aid_personal_data_access"),
        icon_name="view",
        order=900,
        permission="volunteers.view_personaldataaccess",
    )


@hooks.register("register_reports_menu_item")
def register_personal_data_requests_menu_item():
    return RoleMenuItem(
        _("Disclosure and erasure requests"),
        reverse("aid_personal_data"),
        icon_name="lock",
        order=905,
        roles=(Role.CITY_STAFF,),
    )


@hooks.register("register_admin_menu_item")
def register_board_menu_item():
    return PermissionMenuItem(
        _("Today's board"),
        reverse("aid_board"),
        icon_name="list-ul",
        order=240,
        permission="volunteers.add_helprequest",
    )


@hooks.register("register_settings_menu_item")
def register_wordings_menu_item():
    return RoleMenuItem(
        _("Consent and pledge wordings"),
        reverse("aid_wordings"),
        icon_name="doc-full",
        order=720,
        roles=(Role.CITY_STAFF,),
    )


@hooks.register("register_mutual_aid_menu_item")
def register_owed_menu_item():
    return RoleMenuItem(
        _("Money owed by residents"),
        reverse("aid_owed"),
        icon_name="warning",
        order=20,
        roles=(Role.COORDINATOR,),
    )


@hooks.register("register_mutual_aid_menu_item")
def register_call_list_menu_item():
    return RoleMenuItem(
        _("Call list"),
        reverse("aid_call_list"),
        icon_name="mail",
        order=19,
        roles=(Role.COORDINATOR,),
    )


@hooks.register("register_mutual_aid_menu_item")
def register_payouts_menu_item():
    from volunteers.admin.payouts import PAYOUT_ROLES

    return RoleMenuItem(
        _("Monthly payouts to volunteers"),
        reverse("aid_payouts"),
        icon_name="doc-full",
        order=21,
        roles=PAYOUT_ROLES,
    )


@hooks.register("construct_homepage_panels")
def add_monthly_counts_panel(request, panels):
    """This month's counts (no one's details): for coordinators and city staff."""
    from volunteers.admin.reports import REPORT_ROLES

    if request.user.has_perm("volunteers.view_helprequest") or request.user.acts_as(*REPORT_ROLES):
        panels.append(MonthlyCountsPanel())


@hooks.register("register_admin_urls")
def register_role_and_cash_urls():
    """Registering an existing account as a volunteer (the role is granted, never
    taken), the daily call list, and the cash pages: money owed, receipts and
    volunteers' payouts."""
    from volunteers.admin.call_list import CallListPrintView, CallListView
    from volunteers.admin.cash import OwedListView, ReceiptView
    from volunteers.admin.payouts import PayoutCsvView, PayoutPrintView, PayoutSummaryView
    from volunteers.admin.volunteers import VolunteerGrantView

    return [
        path("aid/owed/", OwedListView.as_view(), name="aid_owed"),
        path("aid/calls/", CallListView.as_view(), name="aid_call_list"),
        path("aid/calls/print/", CallListPrintView.as_view(), name="aid_call_list_print"),
        path("aid/assignments/<int:pk>/receipt/", ReceiptView.as_view(), name="aid_receipt"),
        path("aid/payouts/", PayoutSummaryView.as_view(), name="aid_payouts"),
        path("aid/payouts/print/", PayoutPrintView.as_view(), name="aid_payouts_print"),
        path("aid/payouts/csv/", PayoutCsvView.as_view(), name="aid_payouts_csv"),
        path(
            "aid/volunteers/<int:pk>/grant/",
            VolunteerGrantView.as_view(),
            name="aid_volunteer_grant",
        ),
    ]
