"""The public site's page types."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    """The site's root page: what the platform is and where to start."""

    intro = RichTextField(_("introduction"), blank=True)
    mutual_aid_phone = models.CharField(
        _("mutual-aid centre phone"),
        max_length=32,
        blank=True,
        help_text=_("Shown on every page so residents can phone the centre."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("mutual_aid_phone")]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")
