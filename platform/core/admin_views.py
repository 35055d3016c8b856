"""Admin views written once for every app: a page that confirms before it acts, and the
spreadsheet import with its dry-run preview. The apps subclass them with their own
permission, service and wording."""

from __future__ import annotations

from collections import Counter

from django import forms
from django.contrib import messages
from django.db import router
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.shortcuts import redirect
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import DeleteView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet as WagtailModelViewSet
from wagtail.search.index import class_is_indexed

from core.admin import GuardedViewMixin
from core.errors import DomainError
from core.japanese_search import text_search_q
from core.spreadsheets import read_dataset


class ConfirmActionView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """GET shows what will happen (``template_name``, with ``form`` when the action
    needs input such as a reason); a valid POST calls :meth:`act` (one service) and
    redirects to :meth:`get_success_url` with :meth:`get_success_message`.

    A refusal (:class:`DomainError`) is shown on the form again, on ``error_field``
    (``NON_FIELD_ERRORS`` for a refusal of the whole action, shown above the fields);
    a page without input (``error_field = None``) redirects to :meth:`get_refused_url`
    with the refusal as an error message instead.
    """

    form_class = forms.Form  # no input: the page is a button
    error_field: str | None = None
    success_message = None

    def act(self, form):
        """Call the one service; its result goes to :meth:`get_success_message`."""
        raise NotImplementedError

    def get_success_message(self, result):
        return self.success_message

    def get_refused_url(self) -> str:
        return self.get_success_url()

    def form_valid(self, form):
        try:
            result = self.act(form)
        except DomainError as error:
            if self.error_field is None:
                messages.error(self.request, str(error.message))
                return redirect(self.get_refused_url())
            form.add_error(self.error_field, str(error.message))
            return self.form_invalid(form)
        message = self.get_success_message(result)
        if message:
            messages.success(self.request, message)
        return redirect(self.get_success_url())


def protected_references(obj) -> list[tuple[str, int]]:
    """What keeps ``obj`` from being deleted: ``[(model's plural name, count)]`` of the
    records that refer to it through ``PROTECT`` or ``RESTRICT`` (Django's own deletion
    collector, so cascades are followed as a delete would)."""
    collector = Collector(using=router.db_for_write(type(obj)))
    try:
        collector.collect([obj])
    except ProtectedError as error:
        blocking = error.protected_objects
    except RestrictedError as error:
        blocking = error.restricted_objects
    else:
        return []
    counts = Counter(str(capfirst(item._meta.verbose_name_plural)) for item in blocking)
    return sorted(counts.items())


class ProtectedDeleteView(DeleteView):
    """Wagtail's delete page, which says what still refers to the record instead of
    failing with a 500: ledger entries, requests and activities keep their history
    (``PROTECT``), so a category, resident or shop in use cannot go. The page names
    what refers to it and ``protected_hint`` (the viewset's) says what to do instead;
    a POST that meets a reference made after the page was shown (a race) gets the
    same answer."""

    template_name = "core/admin/confirm_delete.html"
    protected_hint = _(
        "To stop using it, turn it off on its edit page instead (active): its history stays."
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        references = protected_references(self.object)
        if references:
            context["is_protected"] = True
            context["protected_references"] = references
            context["protected_hint"] = self.protected_hint
        return context

    def form_valid(self, form):
        if protected_references(self.object):
            return self._refused()
        try:
            return super().form_valid(form)
        except (ProtectedError, RestrictedError):
            return self._refused()

    def _refused(self):
        messages.error(
            self.request,
            _("%(object)s cannot be deleted: other records refer to it.") % {"object": self.object},
        )
        return redirect(self.get_delete_url())


class TextSearchMixin:
    """For a Wagtail ``IndexView`` of a model that is not in the search index: the
    search box finds rows where every word occurs in one of ``search_fields``, in any
    kana or width (:func:`core.japanese_search.text_search_q`). Wagtail's own looks
    for the whole query as typed."""

    def search_queryset(self, queryset):
        if not self.is_searching or class_is_indexed(queryset.model):
            return super().search_queryset(queryset)
        return queryset.filter(text_search_q(self.search_query, self.search_fields or []))


class TextSearchIndexView(TextSearchMixin, IndexView):
    pass


class ModelViewSet(WagtailModelViewSet):
    """The project's admin viewsets: Wagtail's, with :class:`ProtectedDeleteView` and
    :class:`TextSearchIndexView`. Set ``protected_hint`` to say what to do instead of
    deleting a record in use."""

    index_view_class = TextSearchIndexView
    delete_view_class = ProtectedDeleteView
    protected_hint = None

    def get_delete_view_kwargs(self, **kwargs):
        kwargs = super().get_delete_view_kwargs(**kwargs)
        if self.protected_hint is not None:
            kwargs["protected_hint"] = self.protected_hint
        return kwargs


class SpreadsheetImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (CSV or XLSX)"))
    confirm = forms.BooleanField(label=_("Import now (leave unticked to preview)"), required=False)

    def __init__(self, *args, columns_help: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = columns_help

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


class SpreadsheetImportView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """Upload a CSV or XLSX file, see a dry-run preview with row-level errors, then
    import. Nothing is written unless every row is valid and the import is confirmed
    (a django-import-export resource imports all rows or none).

    Subclasses give ``columns_help`` (the expected columns), :meth:`get_resource`,
    :meth:`get_success_message` and ``success_url``.
    """

    form_class = SpreadsheetImportForm
    template_name = "core/admin/spreadsheet_import.html"
    header_icon = "upload"
    columns_help = ""

    def get_resource(self):
        """A fresh import-export resource (one for the preview, one for the import)."""
        raise NotImplementedError

    def get_success_message(self, totals) -> str:
        raise NotImplementedError

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "columns_help": self.columns_help}

    def form_valid(self, form):
        try:
            dataset = read_dataset(form.cleaned_data["file"])
        except Exception:  # noqa: BLE001 (any unreadable upload is a form error)
            form.add_error("file", _("The file could not be read as CSV or XLSX."))
            return self.form_invalid(form)
        result = self.get_resource().import_data(dataset, dry_run=True, raise_errors=False)
        failed = result.has_errors() or result.has_validation_errors()
        if form.cleaned_data["confirm"] and not failed:
            result = self.get_resource().import_data(dataset, dry_run=False, raise_errors=False)
            messages.success(self.request, self.get_success_message(result.totals))
            return redirect(self.get_success_url())
        return self.render_to_response(
            self.get_context_data(form=form, result=result, failed=failed, previewed=True)
        )
