"""What every centre starts with: the help categories (admin-editable afterwards) and
the first consent and pledge wordings.

Names are stored in the site's language (Japanese by default): they are data that
coordinators rename, not interface text. Used by a data migration, and by tests and
seed data after a flush."""

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

# code, name, a car helps, service hours from (trash goes out before collection)
DEFAULT_CATEGORIES = [
    ("shopping", gettext_noop("Shopping"), False, dt.time(9)),
    ("trash", gettext_noop("Putting out the trash"), False, dt.time(7)),
    ("escort", gettext_noop("Escort to hospital"), True, dt.time(9)),
    ("other", gettext_noop("Other help"), False, dt.time(9)),
]


def help_categories_ensure(model=None) -> None:
    """Create the default categories that are missing (``model``: a migration's
    historical model, else the real one). Idempotent; never renames."""
    if model is None:
        from volunteers.models import HelpCategory as model
    with translation.override(settings.LANGUAGE_CODE):
        for order, (code, name, car, opens) in enumerate(DEFAULT_CATEGORIES):
            model.objects.get_or_create(
                code=code,
                defaults={
                    "name": translation.gettext(name),
                    "prefers_car": car,
                    "service_starts": opens,
                    "sort_order": order,
                },
            )


#: The first wordings, as migration 0011 published them (version 1).
CONSENT_V1 = (
    "支えあいセンターがお受けした依頼のため、担当するボランティアに、氏名・住所・電話番号・"
    "緊急連絡先と、依頼に必要な事項をお伝えすることに同意します。同意はいつでも取り消す"
    "ことができ、取り消した後は、新しい依頼についてボランティアにお伝えしません。"
)
PLEDGE_V1 = (
    "私は、ボランティア活動を通じて知った利用者の氏名、住所、電話番号、生活や健康の"
    "状況などの個人情報を、活動の目的以外に使わず、ほかの人に漏らしません。活動を"
    "やめた後も同じです。メモは必要な範囲にとどめ、活動が終わったら破棄します。"
)


def wordings_ensure() -> None:
    """Version 1 of the consent and pledge wordings, where none exists (migration 0011
    makes them; a database emptied by a test's flush gets them back here)."""
    from volunteers.models import Wording

    for kind, text in ((Wording.Kind.CONSENT, CONSENT_V1), (Wording.Kind.PLEDGE, PLEDGE_V1)):
        if not Wording.objects.filter(kind=kind).exists():
            Wording.objects.create(kind=kind, version=1, text=text)
