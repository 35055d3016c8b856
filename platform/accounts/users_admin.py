"""The back office's user pages (Wagtail 8's ``UserViewSet``, customised the way
Wagtail documents: a ``WagtailUsersAppConfig`` subclass names this viewset, see
``accounts.apps.UsersAdminConfig``).

The forms ask for what this project's ``User`` has (full name and its kana reading,
phone, date of birth, language) instead of Wagtail's first and last name, and for
roles instead of raw groups: each role is granted or taken through
``accounts.services.role_grant`` / ``role_revoke``, so only city staff (or a
superuser) can give the staff roles. Nobody edits an account above their own standing
(``accounts.selectors.user_managed_by``).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import users as wagtail_users

from accounts.forms import BirthDateField
from accounts.kana import name_search_q, normalize_kana, validate_kana
from accounts.models import Role, User
from accounts.selectors import group_display_name, user_managed_by
from accounts.services import role_grant, role_may_grant, role_revoke, user_attach_email

PERSON_FIELDS = [
    "email",
    "full_name",
    "full_name_kana",
    "phone",
    "birth_date",
    "preferred_language",
]


class GroupChoiceField(forms.ModelMultipleChoiceField):
    """Groups by the name people read (an association's editors: 中央の地域協議会編集者)."""

    def label_from_instance(self, obj):
        return group_display_name(obj)


class PersonFormMixin(forms.ModelForm):
    """What the create and edit forms share; ``actor`` is the signed-in user."""

    first_name = None  # Wagtail's; this User has one full name (and its reading)
    last_name = None
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    birth_date = BirthDateField()
    roles = forms.MultipleChoiceField(
        label=_("Roles"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_groups = GroupChoiceField(
        label=_("Other groups"),
        queryset=Group.objects.exclude(name__in=Role.values),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Groups that are not roles, such as a district association's editors."),
    )

    def setup_person_fields(self, actor: User) -> None:
        self.actor = actor
        user = self.instance
        grantable = [role for role in Role if role_may_grant(actor=actor, role=role)]
        held = user.role_names if user.pk else []
        roles = self.fields["roles"]
        roles.choices = [(role.value, role.label) for role in grantable]
        roles.initial = [name for name in held if Role(name) in grantable]
        kept = [Role(name).label for name in held if Role(name) not in grantable]
        if kept:
            roles.help_text = _("Also holds: %(roles)s (you cannot change these).") % {
                "roles": "、".join(str(label) for label in kept)
            }
        if user.pk is not None and user.pk == actor.pk:
            roles.disabled = True  # nobody changes their own roles
            roles.help_text = _("You cannot change your own roles.")
        if actor.is_superuser:
            if user.pk:
                self.fields["other_groups"].initial = list(
                    user.groups.exclude(name__in=Role.values)
                )
        else:
            del self.fields["other_groups"]
            self.fields.pop("is_superuser", None)
        if user.pk and not user.email:
            self.fields["email"].required = False  # registered without a smartphone
        if not actor.is_superuser and user.pk != actor.pk:
            # Nobody sets another person's password (they could then sign in as them):
            # the person signs in by emailed code or uses "forgot password".
            self.fields.pop("password1", None)
            self.fields.pop("password2", None)

    def clean_full_name_kana(self):
        value = normalize_kana(self.cleaned_data.get("full_name_kana", ""))
        validate_kana(value)
        return value

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip().lower()
        if not email:
            return None
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("This email address is already registered."), code="email_in_use"
            )
        return email

    def save(self, commit=True):
        adding = self.instance._state.adding
        email_changed = adding or "email" in self.changed_data
        self.cleaned_data.setdefault("password1", "")  # not offered: nothing to set
        with transaction.atomic():
            user = super().save(commit=False)
            if adding and not self.cleaned_data.get("password1"):
                # No password typed: the person signs in by emailed code or sets one
                # through "forgot password", both of which prove the address.
                user.set_unusable_password()
            user.save()
            if "other_groups" in self.fields:
                user.groups.remove(*user.groups.exclude(name__in=Role.values))
                user.groups.add(*self.cleaned_data["other_groups"])
            self._save_roles(user)
            if email_changed and user.email:
                user_attach_email(user=user, email=user.email)
        return user

    def _save_roles(self, user: User) -> None:
        field = self.fields["roles"]
        if field.disabled:
            return
        grantable = {value for value, _label in field.choices}
        wanted = set(self.cleaned_data.get("roles") or [])
        held = set(user.role_names)
        for name in sorted((wanted & grantable) - held):
            role_grant(user=user, role=Role(name), actor=self.actor)
        for name in sorted((held & grantable) - wanted):
            role_revoke(user=user, role=Role(name), actor=self.actor)


class PersonCreationForm(PersonFormMixin, UserCreationForm):
    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_person_fields(actor)

    class Meta:
        model = User
        fields = [*PERSON_FIELDS, "is_superuser"]


class PersonEditForm(PersonFormMixin, UserEditForm):
    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_person_fields(actor)

    class Meta:
        model = User
        fields = [*PERSON_FIELDS, "is_active", "is_superuser"]


class IndexView(wagtail_users.IndexView):
    """Listed by full name (sorted by its kana reading); found by name, kana in any
    script (hiragana, katakana, half-width) or email."""

    search_fields = ["full_name", "full_name_kana", "email"]

    @cached_property
    def columns(self):
        columns = super().columns
        for column in columns:
            if column.name == "name":
                column.sort_key = "full_name_kana"
            elif column.name == User.USERNAME_FIELD:
                column.label = _("Email")
        return columns

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        # The same normalisation as every other list (spaces ignored, any kana script).
        return queryset.filter(name_search_q(self.search_query, others=("email",)))


class CreateView(wagtail_users.CreateView):
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}


class EditView(wagtail_users.EditView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if request.user.is_authenticated and not user_managed_by(
            actor=request.user, user=self.object
        ):
            raise PermissionDenied

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}


class UserViewSet(wagtail_users.UserViewSet):
    index_view_class = IndexView
    add_view_class = CreateView
    edit_view_class = EditView
    create_template_name = "wagtailadmin/generic/create.html"
    edit_template_name = "wagtailadmin/generic/edit.html"
    ordering = ["full_name_kana", "pk"]

    def get_form_class(self, for_update=False):
        return PersonEditForm if for_update else PersonCreationForm
