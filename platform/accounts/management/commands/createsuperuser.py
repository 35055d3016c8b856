"""Django's ``createsuperuser``, plus a verified email so the superuser can sign in.

Sign-in requires a verified address (allauth's mandatory verification). Without this the
first person on a fresh server would be sent a confirmation mail by a site whose mail
server may not be configured yet.
"""

from __future__ import annotations

from django.contrib.auth.management.commands import createsuperuser

from accounts.models import User
from accounts.services import superuser_email_verify


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        database = options.get("database")
        before = User.objects.using(database).order_by("-pk").values_list("pk", flat=True).first()
        super().handle(*args, **options)
        created = User.objects.using(database).filter(is_superuser=True)
        if before is not None:
            created = created.filter(pk__gt=before)
        for user in created.exclude(email=None).exclude(email=""):
            superuser_email_verify(user=user)
