"""How long the centre keeps a person's details after they leave (APPI, issue #19).

A resident or volunteer who leaves the service is recorded as such (the date and
why, death included). Once :class:`PersonalDataSettings`' period has passed since that
date, the nightly job ``volunteers.tasks.personal_data_retention_run`` makes the person
anonymous: their name, contact details and free-text notes are overwritten, while
requests, assignments, fees, activities and the points ledger stay whole (counts and
sums unchanged). City staff set the periods in the back office (settings menu)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


class LeaveReason(models.TextChoices):
    MOVED = "moved", _("Moved away")
    ENDED = "ended", _("No longer uses the service")
    DECEASED = "deceased", _("Deceased")
    ERASURE = "erasure", _("Asked for their data to be erased")
    OTHER = "other", _("Other")


@register_setting(icon="lock")
class PersonalDataSettings(BaseGenericSetting):
    resident_retention_months = models.PositiveSmallIntegerField(
        _("residents: keep details for (months after leaving)"),
        default=36,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_(
            "After this many months from the day a resident left (or died), their name, "
            "address, phone and notes are erased automatically. Their requests and fees "
            "stay in the records without the person."
        ),
    )
    volunteer_retention_months = models.PositiveSmallIntegerField(
        _("volunteers: keep details for (months after leaving)"),
        default=36,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_(
            "After this many months from the day a volunteer left, their account is made "
            "anonymous. Their activity and points stay in the ledger without the person."
        ),
    )

    class Meta:
        verbose_name = _("personal data retention")
