"""The back office's own guide (the Help menu's first item), in place of Wagtail's
English editor guide: what each role does here and where, in the city's words."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


class GuideView(WagtailAdminTemplateMixin, TemplateView):
    """Open to everyone who reaches the admin; each section says whose work it is."""

    template_name = "core/admin/guide.html"
    page_title = _("How to use the back office")
    header_icon = "help"
