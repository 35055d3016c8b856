"""The public site's page types.

Page tree (enforced by ``parent_page_types`` / ``subpage_types``)::

    HomePage
    ├── DistrictIndexPage
    │   └── DistrictAssociationPage (one per District)
    │       ├── EventPage
    │       └── NewsPage
    ├── EventIndexPage            upcoming events across districts, filters, iCal
    ├── ProposalCallPage          a call for collaboration proposals, with its form
    └── VolunteerSignupPage       volunteer registration for coordinators to approve
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock, ContactBlock
from cms.models.settings import SchemeNames
from core.japanese_search import index_fields


class HomePage(Page):
    """The site's root page: upcoming events, latest news, open calls, how to volunteer
    and the mutual-aid centre's phone number."""

    intro = RichTextField(_("introduction"), blank=True)
    mutual_aid_phone = models.CharField(
        _("mutual-aid centre phone"),
        max_length=32,
        blank=True,
        help_text=_("Shown on every page so residents can phone the centre."),
    )
    volunteer_intro = RichTextField(
        _("how to become a volunteer"),
        blank=True,
        help_text=_("Shown on the home page next to the link to the volunteer sign-up page."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("mutual_aid_phone"),
        FieldPanel("volunteer_intro"),
    ]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.DistrictIndexPage",
        "cms.EventIndexPage",
        "cms.ProposalCallPage",
        "cms.VolunteerSignupPage",
    ]
    max_count = 1
    search_fields = index_fields(
        [*Page.search_fields, index.SearchField("intro"), index.SearchField("volunteer_intro")]
    )

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        context["events"] = list(selectors.events_upcoming()[:5])
        context["news"] = list(selectors.news_latest()[:5])
        context["calls"] = list(selectors.calls_open())
        context["event_index"] = EventIndexPage.objects.live().first()
        context["signup_page"] = VolunteerSignupPage.objects.live().first()
        return context


class DistrictIndexPage(Page):
    """The list of district associations (地域協議会)."""

    intro = RichTextField(_("introduction"), blank=True)

    search_fields = index_fields([*Page.search_fields, index.SearchField("intro")])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.DistrictAssociationPage"]
    max_count = 1

    class Meta:
        verbose_name = _("district association index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["associations"] = (
            DistrictAssociationPage.objects.child_of(self)
            .live()
            .public()
            .select_related("district")
            .order_by("district__sort_order", "title")
        )
        return context


class DistrictAssociationPage(Page):
    """One district association, linked to its elementary-school district.

    Its editors' group has page permissions here only (see
    ``cms.services.associations.association_groups_sync``, run when a page is added in
    the admin); events and news live below it. Only city staff may change its district.
    """

    district = models.OneToOneField(
        "accounts.District",
        on_delete=models.PROTECT,
        related_name="association_page",
        verbose_name=_("district"),
    )
    area = models.TextField(
        _("area"), blank=True, help_text=_("Which neighbourhoods (町・丁目) the district covers.")
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))
    contacts = StreamField([("contact", ContactBlock())], blank=True, verbose_name=_("contacts"))

    content_panels = [
        *Page.content_panels,
        # Which district a page speaks for is the city's decision, not its editors'.
        FieldPanel("district", permission="cms.change_association_district"),
        FieldPanel("area"),
        FieldPanel("body"),
        FieldPanel("contacts"),
    ]
    parent_page_types = ["cms.DistrictIndexPage"]
    subpage_types = ["cms.EventPage", "cms.NewsPage"]
    search_fields = index_fields(
        [*Page.search_fields, index.SearchField("area"), index.SearchField("body")]
    )
    api_fields = [APIField("area"), APIField("body"), APIField("contacts")]

    class Meta:
        verbose_name = _("district association")
        verbose_name_plural = _("district associations")
        permissions = [
            ("change_association_district", _("Can change the district of an association page"))
        ]

    @property
    def calendar_url(self) -> str:
        """This association's iCal feed (Wagtail's page URLs cannot end in .ics)."""
        return reverse("district-events-ics", args=[self.district.code])

    def save(self, *args, **kwargs):
        result = super().save(*args, **kwargs)
        # Keep the district copied onto the events and news below (see DistrictScopedPage),
        # but only the district the live row holds: save_revision() saves a draft with
        # update_fields, leaving an unpublished district change in memory only.
        stored = (
            DistrictAssociationPage.objects.filter(pk=self.pk)
            .values_list("district_id", flat=True)
            .first()
        )
        if stored:
            for model in (EventPage, NewsPage):
                model.objects.descendant_of(self).exclude(district_id=stored).update(
                    district_id=stored
                )
        return result

    def get_context(self, request, *args, **kwargs):
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        context["events"] = list(selectors.events_upcoming(district=self.district_id)[:10])
        context["news"] = list(selectors.news_latest(district=self.district_id)[:5])
        return context


class DistrictScopedPage(Page):
    """A page below a district association: its district is copied from the parent on
    save so that lists filter and show districts without walking the tree."""

    district = models.ForeignKey(
        "accounts.District",
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("district"),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.district_id = self._parent_district_id() or self.district_id
        return super().save(*args, **kwargs)

    def move(self, target, pos=None, user=None):
        super().move(target, pos=pos, user=user)
        moved = type(self).objects.get(pk=self.pk)
        type(self).objects.filter(pk=self.pk).update(district_id=moved._parent_district_id())

    def _parent_district_id(self):
        parent = self.get_parent() if self.path else None
        if parent is not None and parent.specific_class is DistrictAssociationPage:
            return parent.specific_deferred.district_id
        return None


class EventPage(DistrictScopedPage):
    """An event of a district association. Times are aware datetimes, shown in
    Asia/Tokyo; the iCal feeds and the "add to calendar" file are built from them."""

    start_at = models.DateTimeField(_("starts at"), db_index=True)
    end_at = models.DateTimeField(_("ends at"))
    venue = models.CharField(_("venue"), max_length=200)
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = RichTextField(_("description"), blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("image"),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave empty when there is no limit.")
    )
    registration_required = models.BooleanField(_("registration needed"), default=False)
    contact = models.CharField(
        _("contact"), max_length=200, blank=True, help_text=_("Who to ask, and how.")
    )

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("start_at"), FieldPanel("end_at")], heading=_("When")),
        MultiFieldPanel([FieldPanel("venue"), FieldPanel("address")], heading=_("Where")),
        FieldPanel("description"),
        FieldPanel("image"),
        FieldRowPanel([FieldPanel("capacity"), FieldPanel("registration_required")]),
        FieldPanel("contact"),
    ]
    parent_page_types = ["cms.DistrictAssociationPage"]
    subpage_types: list[str] = []
    search_fields = index_fields(
        [
            *Page.search_fields,
            index.SearchField("venue"),
            index.SearchField("description"),
            index.FilterField("start_at"),
        ]
    )
    api_fields = [
        APIField("start_at"),
        APIField("end_at"),
        APIField("venue"),
        APIField("address"),
        APIField("description"),
        # The same rendition the event page shows: url, width, height and alt text.
        APIField("image", serializer=ImageRenditionField("width-800")),
        APIField("capacity"),
        APIField("registration_required"),
        APIField("contact"),
        APIField("district_name"),
    ]

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["district", "start_at"], name="cms_event_district_start")]

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValidationError({"end_at": _("The end must be after the start.")})

    @property
    def calendar_url(self) -> str:
        """The single-event .ics ("add to calendar")."""
        return reverse("event-ics", args=[self.pk])

    @property
    def district_name(self) -> str:
        return self.district.name if self.district_id else ""


class NewsPage(DistrictScopedPage):
    """News from a district association."""

    date = models.DateField(_("date"), default=timezone.localdate)
    intro = models.TextField(_("summary"), blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.DistrictAssociationPage"]
    subpage_types: list[str] = []
    search_fields = index_fields(
        [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    )
    api_fields = [APIField("date"), APIField("intro"), APIField("body")]

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")


class EventIndexPage(Page):
    """Upcoming events across all districts, filtered by district and month, paginated."""

    intro = RichTextField(_("introduction"), blank=True)

    search_fields = index_fields([*Page.search_fields, index.SearchField("intro")])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count = 1
    page_size = 20

    class Meta:
        verbose_name = _("event index")

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        from cms import selectors
        from cms.forms import EventFilterForm

        context = super().get_context(request, *args, **kwargs)
        form = EventFilterForm(request.GET or None)
        # A bad value in one filter (shown as its field error) leaves the other working.
        filters = {}
        if form.is_bound:
            form.is_valid()
            filters = form.cleaned_data
        events = selectors.events_upcoming(
            district=filters.get("district"), month=filters.get("month")
        )
        page = Paginator(events, self.page_size).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context.update(filter_form=form, events_page=page, query=query.urlencode())
        return context


class ProposalTrack(models.TextChoices):
    CITIZEN = "citizen", _("Citizen-proposed")
    CITY = "city", _("City-proposed theme")


class ProposalCallPage(RoutablePageMixin, Page):
    """A call for collaboration proposals (協働提案), open between two moments."""

    track = models.CharField(_("track"), max_length=16, choices=ProposalTrack.choices)
    theme = models.TextField(
        _("theme"), blank=True, help_text=_("For the city-proposed track: the city's theme.")
    )
    eligibility = RichTextField(_("eligibility"), blank=True)
    opens_at = models.DateTimeField(_("window opens"))
    closes_at = models.DateTimeField(_("window closes"))
    guidelines = RichTextField(_("guidelines"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("track"),
        FieldPanel("theme"),
        FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")], heading=_("Window")),
        FieldPanel("eligibility"),
        FieldPanel("guidelines"),
    ]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    search_fields = index_fields(
        [*Page.search_fields, index.SearchField("theme"), index.SearchField("guidelines")]
    )

    class Meta:
        verbose_name = _("call for proposals")
        verbose_name_plural = _("calls for proposals")

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at

    @property
    def track_name(self) -> str:
        """The track as the city names it (Settings → Scheme names), else generic."""
        return SchemeNames.load().track_name(self.track, default=self.get_track_display())

    @path("")
    def index(self, request):
        return self.render(request)

    @path("submit/", name="submit")
    def submit(self, request):
        from cms.page_handlers import proposal_submit_view

        return proposal_submit_view(request, call=self)

    @path("hearings/", name="hearings")
    def hearings_notice(self, request):
        from cms.page_handlers import call_hearings_view

        return call_hearings_view(request, call=self)

    @path("results/", name="results")
    def results(self, request):
        from cms.page_handlers import call_results_view

        return call_results_view(request, call=self)


class VolunteerSignupPage(Page):
    """A public form: someone who wants to volunteer leaves their details; a
    coordinator approves them in the admin (which creates their account)."""

    intro = RichTextField(_("introduction"), blank=True)
    thanks = RichTextField(_("thank-you text"), blank=True)

    search_fields = index_fields([*Page.search_fields, index.SearchField("intro")])
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("thanks")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = _("volunteer sign-up page")

    def serve(self, request, *args, **kwargs):
        from cms.page_handlers import volunteer_signup_view

        return volunteer_signup_view(request, page=self)
