"""The volunteers app's models, one module per sub-domain. Every model is imported
here, so ``volunteers.models.X`` and the app registry find them all."""

from volunteers.models.access import PersonalDataAccess
from volunteers.models.activity import Activity, ScanReceipt
from volunteers.models.calendar import CentreClosure
from volunteers.models.consent import ConsentRecord, PledgeRecord, Wording
from volunteers.models.help_requests import (
    Assignment,
    Gender,
    HelpCategory,
    HelpRequest,
    Offer,
    Resident,
    ResidentAccessLog,
)
from volunteers.models.insurance import (
    InsuranceEnrolment,
    TrainingAttendance,
    TrainingSession,
)
from volunteers.models.places import Place, VolunteerCard
from volunteers.models.profiles import (
    AvailabilityException,
    MatchingSlot,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.models.retention import LeaveReason, PersonalDataSettings
from volunteers.models.standing import StandingRequest, StandingRequestSkip

__all__ = [
    "Activity",
    "Assignment",
    "AvailabilityException",
    "CentreClosure",
    "ConsentRecord",
    "Gender",
    "HelpCategory",
    "HelpRequest",
    "InsuranceEnrolment",
    "LeaveReason",
    "MatchingSlot",
    "Offer",
    "PersonalDataAccess",
    "PersonalDataSettings",
    "Place",
    "PledgeRecord",
    "Resident",
    "ResidentAccessLog",
    "ScanReceipt",
    "StandingRequest",
    "StandingRequestSkip",
    "TrainingAttendance",
    "TrainingSession",
    "VolunteerCard",
    "VolunteerProfile",
    "WeeklyAvailability",
    "Wording",
]
