"""A password set from an emailed link confirms the address it was mailed to.

Approving a volunteer application mails the applicant a link to set a password (the
allauth password-reset link). Following it proves the applicant reads that mailbox,
exactly what a confirmation link proves; without this, their first sign-in with the
new password was answered with yet another "confirm your email" mail.

Only a user with a single address is confirmed this way: that is where the link can
have gone. Someone with several addresses confirms each through allauth as before.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress


def confirm_sole_address_on_password_reset(sender, request, user, **kwargs) -> None:
    addresses = list(EmailAddress.objects.filter(user=user)[:2])
    if len(addresses) == 1 and not addresses[0].verified:
        addresses[0].verified = True
        addresses[0].save(update_fields=["verified"])
