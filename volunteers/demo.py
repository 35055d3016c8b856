"""Demo places with posters, a host-staff login and the demo volunteer's card.
Idempotent; prints a poster URL and a card URL to try the QR flow by hand."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.demo import DEMO_PASSWORD
from accounts.models import District, User
from points.models import EarningRule
from volunteers.models import Place
from volunteers.services import card_for, card_token, place_token

PLACES = [
    ("いきいきサロン桜ヶ丘", Place.Kind.SALON, "sakuragaoka", "salon", dt.time(16, 0)),
    (
        "特別養護老人ホーム みどりの里",
        Place.Kind.CARE_FACILITY,
        "midoricho",
        "care-facility",
        dt.time(17, 0),
    ),
]


@transaction.atomic
def seed(out) -> None:
    host, created = User.objects.get_or_create(
        email="host@demo.example.jp",
        defaults={"full_name": "渡辺 直子", "full_name_kana": "ワタナベ ナオコ"},
    )
    if created or not host.has_usable_password():
        host.set_password(DEMO_PASSWORD)
        host.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=host, email=host.email, defaults={"verified": True, "primary": True}
    )
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    for name, kind, district, rule, closes in PLACES:
        place, _ = Place.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "district": District.objects.filter(code=district).first(),
                "earning_rule": EarningRule.objects.get(activity_kind=rule),
                "closes_at": closes,
            },
        )
        place.hosts.add(host)
        out.write(f"place: {place.name}")
        out.write(f"  poster QR URL: {base}{reverse('scan', args=[place_token(place)])}")
        out.write(f"  printable poster: {base}{reverse('place-poster', args=[place.pk])}")
    out.write(f"host staff login: {host.email} (scans volunteers' cards)")
    volunteer = User.objects.get(email="volunteer@demo.example.jp")
    card = card_for(volunteer)
    out.write(f"card of {volunteer.full_name}: {base}{reverse('scan', args=[card_token(card)])}")
    out.write(f"  printable card (signed in as the volunteer): {base}{reverse('my-card')}")
