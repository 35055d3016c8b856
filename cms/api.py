"""Wagtail's read-only content API (v2) at ``/api/cms/v2/``: pages, with each page
type's ``api_fields`` (events: times, venue, capacity, …), for other clients such as a
district's own site or a signage screen. Public, like the pages themselves.

It is not part of the documented ``/api/v1/`` (drf-spectacular's preprocessing hook
keeps it out of the OpenAPI schema; Wagtail's viewsets do not describe themselves).
"""

from rest_framework.permissions import AllowAny
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet


class PublicPagesAPIViewSet(PagesAPIViewSet):
    # The project's DRF default is "authenticated"; published pages are public anyway.
    permission_classes = [AllowAny]
    authentication_classes: list = []


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
