"""Small site-wide answers that belong to no app."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

FAVICON_MAX_AGE = 7 * 24 * 3600


@require_GET
def favicon(request):
    """``/favicon.ico``: browsers ask for it whatever the page links, and a 404 on
    every page fills the logs. The pages link the SVG in ``core/static`` too."""
    path = finders.find("core/favicon.ico")
    if not path:
        raise Http404
    response = FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115
    patch_cache_control(response, public=True, max_age=FAVICON_MAX_AGE)
    return response
