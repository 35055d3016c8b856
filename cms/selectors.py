"""Reads and pure rules shared by the public pages, the feeds, the API, the admin and
the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from wagtail.models import WorkflowPage

from accounts.models import Role, User
from cms.models import (
    CallResultsPublication,
    DistrictAssociationPage,
    EventPage,
    NewsPage,
    Proposal,
    ProposalCallPage,
    ProposalCriterion,
    ProposalHearing,
    ProposalHistory,
    ProposalStatus,
    Score,
    ScoreSheet,
)

#: How far back a calendar feed reaches, so subscribers keep recent past events.
CALENDAR_PAST_DAYS = 30
#: The workflow (and its one task) by which city staff approve district events.
EVENT_WORKFLOW_NAME = "地域イベントの承認"
#: Each status and the statuses a proposal may be in to move there.
TRANSITIONS: dict[str, frozenset[str]] = {
    ProposalStatus.SCREENING: frozenset({ProposalStatus.SUBMITTED}),
    ProposalStatus.HEARING: frozenset({ProposalStatus.SCREENING}),
    ProposalStatus.ACCEPTED: frozenset({ProposalStatus.HEARING}),
    ProposalStatus.DECLINED: frozenset({ProposalStatus.SCREENING, ProposalStatus.HEARING}),
    ProposalStatus.WITHDRAWN: frozenset(
        {ProposalStatus.SUBMITTED, ProposalStatus.SCREENING, ProposalStatus.HEARING}
    ),
}


def events_upcoming(
    *, district=None, month: dt.date | None = None, now: dt.datetime | None = None
) -> QuerySet[EventPage]:
    """Live, public events that have not ended yet, soonest first.

    ``district`` is a District or its id; ``month`` any date in the month wanted
    (Asia/Tokyo). One query whatever the number of events (district joined in).
    """
    now = now or timezone.now()
    events = EventPage.objects.live().public().filter(end_at__gte=now)
    if district:
        events = events.filter(district=district)
    if month:
        tz = timezone.get_current_timezone()
        first = dt.datetime(month.year, month.month, 1, tzinfo=tz)
        following = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
        events = events.filter(start_at__lt=following, end_at__gte=first)
    return events.select_related("district").order_by("start_at", "pk")


def events_for_calendar(*, district=None, now: dt.datetime | None = None) -> QuerySet[EventPage]:
    """Events for an iCal feed: upcoming ones plus the last ``CALENDAR_PAST_DAYS``."""
    now = now or timezone.now()
    events = (
        EventPage.objects.live()
        .public()
        .filter(end_at__gte=now - dt.timedelta(days=CALENDAR_PAST_DAYS))
    )
    if district:
        events = events.filter(district=district)
    return events.select_related("district").order_by("start_at", "pk")


def news_latest(*, district=None) -> QuerySet[NewsPage]:
    news = NewsPage.objects.live().public()
    if district:
        news = news.filter(district=district)
    return news.select_related("district").order_by("-date", "-pk")


def calls_open(*, at: dt.datetime | None = None) -> QuerySet[ProposalCallPage]:
    at = at or timezone.now()
    return (
        ProposalCallPage.objects.live()
        .public()
        .filter(opens_at__lte=at, closes_at__gt=at)
        .order_by("closes_at")
    )


def proposals_of(user) -> QuerySet[Proposal]:
    """A user's own proposals, with what their status page shows: the history with
    the reviewers' messages and the hearings from yesterday on."""
    return (
        Proposal.objects.filter(applicant=user)
        .select_related("call")
        .prefetch_related(
            "attachments",
            "budget_lines",
            Prefetch("history", queryset=ProposalHistory.objects.order_by("at", "pk")),
            Prefetch(
                "hearings",
                queryset=ProposalHearing.objects.filter(
                    starts_at__gte=timezone.now() - dt.timedelta(days=1)
                ).order_by("starts_at", "pk"),
            ),
        )
    )


def proposals_for_review() -> QuerySet[Proposal]:
    return Proposal.objects.select_related("call", "applicant").prefetch_related("budget_lines")


def pages_search(query: str):
    """Live public pages matching every word of ``query``, best first.

    Wagtail's search on the database, with Japanese cut into bigrams
    (:mod:`core.japanese_search`): 買い物 finds 買い物の手伝い, サロン finds さろん
    and ｻﾛﾝ. A query of only symbols finds nothing.
    """
    from wagtail.models import Page

    return Page.objects.live().public().search(query)


# --- Association editors ------------------------------------------------------------


def association_group_name(page: DistrictAssociationPage) -> str:
    """Stable (by district code), so renaming the page never duplicates its group."""
    return f"association-{page.district.code}"


def association_editor_candidates():
    """Who may be made an association's editor: active users with the district editor
    role, by name."""
    return (
        User.objects.filter(is_active=True, groups__name=Role.DISTRICT_EDITOR)
        .distinct()
        .order_by("full_name_kana", "pk")
    )


def association_editors(page: DistrictAssociationPage):
    """The users in the page's editors' group (none when it has no group yet)."""
    return User.objects.filter(groups__name=association_group_name(page)).order_by(
        "full_name_kana", "pk"
    )


def events_moderated() -> bool:
    """Whether events go through city staff's approval now: what the last
    :func:`cms.services.associations.association_groups_sync` set up, whatever the
    setting says."""
    return WorkflowPage.objects.filter(workflow__name=EVENT_WORKFLOW_NAME).exists()


# --- Proposal review ----------------------------------------------------------------


def proposal_next_statuses(status: str) -> list[str]:
    """Statuses staff may move a proposal in ``status`` to (withdrawal is the
    applicant's own)."""
    return [
        to
        for to, before in TRANSITIONS.items()
        if status in before and to != ProposalStatus.WITHDRAWN
    ]


def proposal_by_submission_key(*, applicant, submission_key) -> Proposal | None:
    """The applicant's proposal stored with this form key, if any."""
    return Proposal.objects.filter(applicant=applicant, submission_key=submission_key).first()


def paper_proposal_by_submission_key(*, entered_by, submission_key) -> Proposal | None:
    """The paper proposal this staff member entered with this form key, if any."""
    return Proposal.objects.filter(
        received_on_paper=True, entered_by=entered_by, submission_key=submission_key
    ).first()


# --- Decisions: scoring, hearings, published results ---------------------------------


@dataclass(frozen=True)
class ScoreSummary:
    """A proposal's scoring for the admin: each reviewer's sheet and, per criterion,
    the total and the average of the reviewers' scores."""

    criteria: list
    sheets: list
    rows: list  # (criterion, total, average) per criterion
    total: int
    average: float | None  # each reviewer's total, averaged over reviewers


def proposal_score_summary(proposal: Proposal) -> ScoreSummary:
    """Every reviewer's sheet of ``proposal`` with totals and averages (three queries)."""
    criteria = list(ProposalCriterion.objects.filter(call_id=proposal.call_id))
    sheets = list(
        ScoreSheet.objects.filter(proposal=proposal)
        .select_related("reviewer")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .order_by("pk")
    )
    by_criterion: dict[int, list[int]] = {criterion.pk: [] for criterion in criteria}
    for sheet in sheets:
        sheet.total = sum(score.score for score in sheet.scores.all())
        for score in sheet.scores.all():
            by_criterion.setdefault(score.criterion_id, []).append(score.score)
    rows = [
        (
            criterion,
            sum(by_criterion[criterion.pk]),
            _mean(by_criterion[criterion.pk]),
        )
        for criterion in criteria
    ]
    return ScoreSummary(
        criteria=criteria,
        sheets=sheets,
        rows=rows,
        total=sum(sheet.total for sheet in sheets),
        average=_mean([sheet.total for sheet in sheets]),
    )


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def score_sheet_of(*, proposal: Proposal, reviewer) -> ScoreSheet | None:
    """``reviewer``'s own sheet of ``proposal``, with its scores, if any."""
    return (
        ScoreSheet.objects.filter(proposal=proposal, reviewer=reviewer)
        .prefetch_related("scores")
        .first()
    )


def call_criteria(call: ProposalCallPage) -> QuerySet[ProposalCriterion]:
    return ProposalCriterion.objects.filter(call=call).order_by("position", "pk")


@dataclass(frozen=True)
class PublicHearing:
    """What the public notice shows of a hearing: no applicant's personal data, only
    the group's name and the project's title of the proposal heard (if one)."""

    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    place: str
    notes: str
    group_name: str
    project_title: str


def hearings_upcoming(
    call: ProposalCallPage, *, now: dt.datetime | None = None
) -> list[PublicHearing]:
    """The call's hearings that have not ended, soonest first, as the public sees
    them. The hearing of a proposal withdrawn or declined is left out (its title
    would tell the public it was not accepted)."""
    now = now or timezone.now()
    hearings = (
        ProposalHearing.objects.filter(call=call)
        .filter(Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=now))
        .exclude(proposal__status__in=[ProposalStatus.WITHDRAWN, ProposalStatus.DECLINED])
        .select_related("proposal")
        .order_by("starts_at", "pk")
    )
    return [
        PublicHearing(
            title=hearing.title,
            starts_at=hearing.starts_at,
            ends_at=hearing.ends_at,
            place=hearing.place,
            notes=hearing.notes,
            group_name=hearing.proposal.group_name if hearing.proposal else "",
            project_title=hearing.proposal.title if hearing.proposal else "",
        )
        for hearing in hearings
    ]


@dataclass(frozen=True)
class AcceptedProposal:
    """What the published results show of an accepted proposal."""

    group_name: str
    title: str
    summary: str


@dataclass(frozen=True)
class CallResults:
    published_at: dt.datetime
    remarks: str
    accepted: list[AcceptedProposal]
    received: int
    declined: int


def call_results(call: ProposalCallPage) -> CallResults | None:
    """The call's results as the public sees them, or ``None`` before city staff
    published them. Of a declined or withdrawn proposal only the counts show."""
    publication = CallResultsPublication.objects.filter(call=call).first()
    if publication is None:
        return None
    proposals = Proposal.objects.filter(call=call)
    accepted = [
        AcceptedProposal(group_name=p.group_name, title=p.title, summary=p.purpose)
        for p in proposals.filter(status=ProposalStatus.ACCEPTED).order_by("submitted_at", "pk")
    ]
    return CallResults(
        published_at=publication.published_at,
        remarks=publication.remarks,
        accepted=accepted,
        received=proposals.exclude(status=ProposalStatus.WITHDRAWN).count(),
        declined=proposals.filter(status=ProposalStatus.DECLINED).count(),
    )
