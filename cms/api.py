"""Wagtail's read-only content API (v2) at ``/api/cms/v2/``: pages, with each page
type's ``api_fields`` (events: times, venue, capacity, …), for other clients such as a
district's own site or a signage screen. Public, like the pages themselves.

It is not part of the documented ``/api/v1/`` (drf-spectacular's preprocessing hook
keeps it out of the OpenAPI schema; Wagtail's viewsets do not describe themselves).
"""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from rest_framework.permissions import AllowAny
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet

#: Largest ``offset`` accepted: far beyond any real listing, and inside PostgreSQL's
#: bigint (a larger one used to reach the database and fail there with a 500).
OFFSET_MAX = 1_000_000
#: Field types whose filter values are parsed (and range-checked) before the query.
CHECKED_FIELDS = (models.DateField, models.IntegerField, models.DecimalField, models.FloatField)


class BoundedPagination(WagtailPagination):
    """Wagtail's offset/limit pagination, refusing absurd offsets with a 400."""

    def paginate_queryset(self, queryset, request, view=None):
        try:
            offset = int(request.GET.get("offset", 0))
        except ValueError:
            offset = 0  # Wagtail's own check answers this one with a 400
        if offset > OFFSET_MAX:
            raise BadRequestError(f"offset cannot be higher than {OFFSET_MAX}")
        return super().paginate_queryset(queryset, request, view)


class PublicPagesAPIViewSet(PagesAPIViewSet):
    # The project's DRF default is "authenticated"; published pages are public anyway.
    permission_classes = [AllowAny]
    authentication_classes: list = []
    pagination_class = BoundedPagination

    def check_query_parameters(self, queryset):
        # PostgreSQL text cannot hold NUL: a filter or search with one is a bad request,
        # not a database error.
        if any("\x00" in value for _, values in self.request.GET.lists() for value in values):
            raise BadRequestError("query parameters cannot contain NUL characters")
        self._check_field_filters(queryset.model)
        return super().check_query_parameters(queryset)

    def _check_field_filters(self, model):
        """Wagtail passes field filters (``?start_at=…``, ``?id=…``) to the database as
        they come; a malformed date or an integer beyond the column's range then fails
        there (a 500). Check them the way the model field would."""
        fields = set(self.get_available_fields(model, db_fields_only=True))
        for name, value in self.request.GET.items():
            if name not in fields:
                continue
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not isinstance(field, CHECKED_FIELDS):
                continue
            try:
                field.run_validators(field.to_python(value))
            except ValidationError as error:
                raise BadRequestError(
                    f"field filter error. {value!r} is not a valid value for {name}"
                ) from error


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
