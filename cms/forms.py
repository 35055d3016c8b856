"""Forms of the public site: event filters, proposal submission, volunteer sign-up,
and the review step of a proposal in the admin."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.forms import BirthDateField, OpenDistrictChoiceField
from accounts.kana import normalize_kana, validate_kana
from accounts.models import District
from accounts.validators import age_on
from cms.exceptions import AttachmentRejected
from cms.models import Proposal, ProposalCallPage, VolunteerApplication
from cms.models.decisions import SCORE_MAX, SCORE_MIN
from cms.selectors import association_editor_candidates
from cms.uploads import ALLOWED_EXTENSIONS, SCAN_EXTENSIONS, attachment_check
from points.selectors import scheme_minimum_age


class EventFilterForm(forms.Form):
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.all(),
        required=False,
        empty_label=_("All districts"),
    )
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def clean_month(self):
        month = self.cleaned_data["month"]
        # December 9999 has no following month to end the range with.
        if month and month.year >= dt.MAXYEAR:
            raise ValidationError(self.fields["month"].error_messages["invalid"], code="invalid")
        return month


class HoneypotMixin(forms.Form):
    """A field people never see (hidden by CSS, skipped by screen readers); bots fill
    it. A filled honeypot is a form error, so nothing is stored."""

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise ValidationError(_("This field must be left empty."), code="honeypot")
        return ""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by :func:`attachment_check` against
    ``allowed`` extensions (the online form's by default)."""

    def __init__(self, *args, allowed: tuple[str, ...] = ALLOWED_EXTENSIONS, **kwargs):
        self.allowed = allowed
        accept = ",".join(f".{extension}" for extension in allowed)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(MultipleFileField, self).clean(f, initial) for f in files]
        if len(files) > settings.PROPOSAL_ATTACHMENT_MAX_COUNT:
            raise ValidationError(
                _("Attach at most %(count)s files.")
                % {"count": settings.PROPOSAL_ATTACHMENT_MAX_COUNT}
            )
        errors = []
        for upload in files:
            try:
                attachment_check(upload, allowed=self.allowed)
            except AttachmentRejected as error:
                errors.append(str(error.message))
        if errors:
            raise ValidationError(errors)
        return files


class ProposalForm(HoneypotMixin, forms.ModelForm):
    # A fresh key each time the form is shown; resubmitting the same page reuses it.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        # format_lazy: a class attribute is built once, at import, before any request
        # chose a language; "%" on a lazy string would fix that language for good.
        help_text=format_lazy(
            _("PDF, Word (.docx) or Excel (.xlsx); up to {size} MB each."),
            size=settings.PROPOSAL_ATTACHMENT_MAX_SIZE // (1024 * 1024),
        ),
    )

    class Meta:
        model = Proposal
        fields = [
            "group_name",
            "representative",
            "members_count",
            "years_active",
            "title",
            "purpose",
            "content",
            "expected_effect",
            "role_division",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 4})
            for name in ("purpose", "content", "expected_effect", "role_division")
        }

    def clean_members_count(self):
        count = self.cleaned_data["members_count"]
        if count is not None and count < 3:
            raise ValidationError(
                _("Eligible groups have at least 3 members."), code="group_too_small"
            )
        return count


class PaperProposalForm(forms.ModelForm):
    """City staff enter a proposal a group handed in on paper, with its scans."""

    call = forms.ModelChoiceField(
        label=_("Call"),
        queryset=ProposalCallPage.objects.live().order_by("-closes_at"),
    )
    received_on = forms.DateField(
        label=_("Received on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # A fresh key each time the form is shown; a resent POST reuses it.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)
    attachments = MultipleFileField(
        label=_("Scanned documents"),
        required=False,
        allowed=SCAN_EXTENSIONS,
        help_text=format_lazy(
            _("PDF, JPEG, PNG, Word (.docx) or Excel (.xlsx); up to {size} MB each."),
            size=settings.PROPOSAL_ATTACHMENT_MAX_SIZE // (1024 * 1024),
        ),
    )

    class Meta:
        model = Proposal
        fields = ["call", "received_on", *ProposalForm.Meta.fields, "contact"]
        widgets = ProposalForm.Meta.widgets

    clean_members_count = ProposalForm.clean_members_count


class BudgetLineForm(forms.Form):
    item = forms.CharField(label=_("Item"), max_length=200)
    amount_yen = forms.IntegerField(label=_("Amount (yen)"), min_value=0, max_value=100_000_000)
    note = forms.CharField(label=_("Remarks"), max_length=200, required=False)


BudgetLineFormSet = forms.formset_factory(
    BudgetLineForm, extra=3, min_num=1, validate_min=True, max_num=30, validate_max=True
)


class VolunteerSignupForm(HoneypotMixin, forms.ModelForm):
    """The public sign-up. When an earning rule credits only from an age
    (``points.selectors.scheme_minimum_age``), the date of birth is required, the
    applicant confirms they are old enough, and a younger date of birth is refused."""

    birth_date = BirthDateField()
    age_confirmed = forms.BooleanField(required=False)
    field_order = ["full_name", "full_name_kana", "email", "phone", "birth_date", "age_confirmed"]

    class Meta:
        model = VolunteerApplication
        fields = [
            "full_name",
            "full_name_kana",
            "email",
            "phone",
            "birth_date",
            "district",
            "message",
        ]
        field_classes = {"district": OpenDistrictChoiceField}  # open districts only
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum_age = scheme_minimum_age()
        if self.minimum_age is None:
            del self.fields["age_confirmed"]
            return
        self.fields["birth_date"].required = True
        confirm = self.fields["age_confirmed"]
        confirm.required = True
        confirm.label = _("I am %(age)s years old or older.") % {"age": self.minimum_age}
        confirm.help_text = _("Points are credited from the age of %(age)s.") % {
            "age": self.minimum_age
        }
        confirm.error_messages["required"] = _(
            "Please confirm that you are %(age)s years old or older."
        ) % {"age": self.minimum_age}

    def clean_birth_date(self):
        born = self.cleaned_data.get("birth_date")
        minimum = self.minimum_age
        if born and minimum is not None and age_on(born, timezone.localdate()) < minimum:
            raise ValidationError(
                _("Volunteers of this scheme must be %(age)s years old or older.")
                % {"age": minimum},
                code="under_age",
            )
        return born

    def clean_full_name_kana(self):
        value = normalize_kana(self.cleaned_data["full_name_kana"])
        validate_kana(value)
        return value


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"))
    comment = forms.CharField(
        label=_("Message to the applicant"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Shown on the applicant's proposals page and sent to them by email."),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = choices


class AssociationEditorsForm(forms.Form):
    editors = forms.ModelMultipleChoiceField(
        label=_("Editors"),
        queryset=association_editor_candidates(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Users with the district editor role. Grant the role in Users first."),
    )


class ScoreSheetForm(forms.Form):
    """A reviewer's scoring sheet: for each criterion of the call a score from 1 to 5
    and a comment, then an overall comment. Fields ``score_<id>`` / ``comment_<id>``."""

    scale_min, scale_max = SCORE_MIN, SCORE_MAX

    def __init__(self, *args, criteria, sheet=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        given = {score.criterion_id: score for score in sheet.scores.all()} if sheet else {}
        scale = [("", "---")] + [(str(n), str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
        for criterion in self.criteria:
            earlier = given.get(criterion.pk)
            self.fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name,
                choices=scale,
                coerce=int,
                help_text=criterion.description,
                initial=earlier.score if earlier else None,
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment on “%(criterion)s”") % {"criterion": criterion.name},
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                initial=earlier.comment if earlier else "",
            )
        self.fields["comment"] = forms.CharField(
            label=_("Overall comment"),
            widget=forms.Textarea(attrs={"rows": 3}),
            required=False,
            initial=sheet.comment if sheet else "",
        )

    def scores(self) -> list[tuple[int, int, str]]:
        """``(criterion id, score, comment)`` of each criterion, as entered."""
        return [
            (
                criterion.pk,
                self.cleaned_data[f"score_{criterion.pk}"],
                self.cleaned_data[f"comment_{criterion.pk}"],
            )
            for criterion in self.criteria
        ]


class ResultsPublishForm(forms.Form):
    remarks = forms.CharField(
        label=_("Remarks shown with the results"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
