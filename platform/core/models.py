"""The platform core's own records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LineRefusal(models.Model):
    """LINE refused for good to push to a linked LINE account (LINE's 4xx for this
    recipient, typically: not, or no longer, a friend of the city's official account).

    While it stands, LINE no longer counts as a way to reach the person
    (``core.notify.LineChannel.can_reach``): they are told by email, or phoned from the
    coordinators' call list. It ends when they ask for LINE again on their page, or
    unlink LINE (the row goes with the linked account)."""

    account = models.OneToOneField(
        "socialaccount.SocialAccount",
        verbose_name=_("LINE account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="line_refusal",
    )
    refused_at = models.DateTimeField(_("refused at"))
    status = models.PositiveSmallIntegerField(_("HTTP status"))

    class Meta:
        verbose_name = _("LINE refusal")
        verbose_name_plural = _("LINE refusals")

    def __str__(self) -> str:
        return f"{self.account_id} {self.status} {self.refused_at:%Y-%m-%d}"
