"""The public site's page types and the records the site collects.

Pages (:mod:`cms.models.pages`), collaboration proposals with their budget lines,
attachments and review history (:mod:`cms.models.proposals`), their criteria, scoring
sheets, hearings and published results (:mod:`cms.models.decisions`), volunteer applications
(:mod:`cms.models.applications`). Every model is imported here so Django finds it.

Migration 0003 names ``cms.models.PrivateStorage`` and ``cms.models._attachment_path``
(and ``PrivateStorage.deconstruct`` returns that path): both stay importable from here.
"""

from cms.models.applications import VolunteerApplication
from cms.models.decisions import (
    CallResultsPublication,
    ProposalCriterion,
    ProposalHearing,
    Score,
    ScoreSheet,
)
from cms.models.pages import (
    DistrictAssociationPage,
    DistrictIndexPage,
    DistrictScopedPage,
    EventIndexPage,
    EventPage,
    HomePage,
    NewsPage,
    ProposalCallPage,
    ProposalTrack,
    VolunteerSignupPage,
)
from cms.models.proposals import (
    PrivateStorage,
    Proposal,
    ProposalAttachment,
    ProposalBudgetLine,
    ProposalHistory,
    ProposalStatus,
    _attachment_path,
    private_storage,
)
from cms.models.settings import SchemeNames

__all__ = [
    "CallResultsPublication",
    "ProposalCriterion",
    "ProposalHearing",
    "Score",
    "ScoreSheet",
    "SchemeNames",
    "DistrictAssociationPage",
    "DistrictIndexPage",
    "DistrictScopedPage",
    "EventIndexPage",
    "EventPage",
    "HomePage",
    "NewsPage",
    "PrivateStorage",
    "Proposal",
    "ProposalAttachment",
    "ProposalBudgetLine",
    "ProposalCallPage",
    "ProposalHistory",
    "ProposalStatus",
    "ProposalTrack",
    "VolunteerApplication",
    "VolunteerSignupPage",
    "_attachment_path",
    "private_storage",
]
