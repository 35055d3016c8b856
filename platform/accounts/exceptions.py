from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError


class EmailInUse(ConflictError):
    code = "email_in_use"
    default_message = _("This email address is already registered.")
