"""Form fields shared by every app that picks a district."""

from __future__ import annotations

from django import forms
from django.db import models
from django.db.models import Q

from accounts.models import District


def _pks(value) -> set:
    """The primary keys in a field's initial value: a pk, a District, or several."""
    if value is None or value == "":
        return set()
    values = [value] if isinstance(value, str | int | models.Model) else list(value)
    return {getattr(item, "pk", item) for item in values if item is not None and item != ""}


class _OpenDistrictsMixin:
    """Offers open districts only, plus any closed one the record already has.

    The queryset is narrowed when the form binds the field, where the record's current
    value (the form's initial) is known: a closed district stays on the records that
    have it and can be kept on saving, but cannot be newly chosen (it is not a valid
    choice, so a hand-made POST is refused as well).
    """

    def __init__(self, queryset=None, **kwargs):
        super().__init__(queryset=District.objects.filter(is_active=True), **kwargs)

    def get_bound_field(self, form, field_name):
        bound = super().get_bound_field(form, field_name)
        current = _pks(bound.initial)
        if current:
            self.queryset = District.objects.filter(Q(is_active=True) | Q(pk__in=current))
        return bound


class OpenDistrictChoiceField(_OpenDistrictsMixin, forms.ModelChoiceField):
    """Choose one district (open ones, or the one already set)."""


class OpenDistrictMultipleChoiceField(_OpenDistrictsMixin, forms.ModelMultipleChoiceField):
    """Choose several districts (open ones, or those already set)."""


def open_district_kwargs(db_field, kwargs: dict) -> dict:
    """``formfield()`` arguments that make a model field pointing at District offer
    open districts only (for ``formfield_for_dbfield`` of admin viewsets whose forms
    are plain ModelForms, which Wagtail's form-field overrides do not reach)."""
    if getattr(db_field, "related_model", None) is not District:
        return kwargs
    if db_field.many_to_many:
        return {"form_class": OpenDistrictMultipleChoiceField, **kwargs}
    return {"form_class": OpenDistrictChoiceField, **kwargs}


class OpenDistrictsViewSetMixin:
    """For a Wagtail ModelViewSet: its create and edit forms offer open districts only."""

    def formfield_for_dbfield(self, db_field, **kwargs):
        return super().formfield_for_dbfield(db_field, **open_district_kwargs(db_field, kwargs))
