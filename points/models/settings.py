"""The scheme's voucher exchange settings (a Wagtail site setting)."""

from __future__ import annotations

from django.core.validators import validate_comma_separated_integer_list
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="tag")
class ExchangeSettings(BaseGenericSetting):
    """How points become vouchers. Edited by city staff in the admin (Settings)."""

    voucher_points = models.PositiveIntegerField(
        _("points per voucher"),
        default=500,
        help_text=_("Points are exchanged in whole vouchers of this many points."),
    )
    yen_per_point = models.PositiveIntegerField(_("yen per point"), default=1)
    exchange_months = models.CharField(
        _("exchange months"),
        max_length=40,
        default="1,2,3,4,5,6,7,8,9,10,11,12",
        validators=[validate_comma_separated_integer_list],
        help_text=_("Months in which exchange is open, e.g. 4,5 for April and May only."),
    )
    yearly_limit_points = models.PositiveIntegerField(
        _("yearly exchange limit (points)"),
        null=True,
        blank=True,
        help_text=_("Per volunteer and fiscal year. Empty for no limit."),
    )
    valid_days = models.PositiveIntegerField(_("vouchers valid for (days)"), default=180)
    expiry_notice_weeks = models.PositiveSmallIntegerField(
        _("expiry notice (weeks before)"),
        default=4,
        help_text=_(
            "Volunteers are told this many weeks before their points or vouchers "
            "expire (by email, or on the coordinators' call list). 0: no notices."
        ),
    )

    class Meta:
        verbose_name = _("voucher exchange settings")

    @property
    def face_value_yen(self) -> int:
        return self.voucher_points * self.yen_per_point

    def open_in(self, month: int) -> bool:
        return str(month) in {m.strip() for m in self.exchange_months.split(",")}
