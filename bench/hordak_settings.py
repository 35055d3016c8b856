"""Settings for the django-hordak comparison in ``bench_ledger`` only.

The project's settings plus the apps hordak needs (``mptt`` for its account tree,
``djmoney`` for its money fields), against a database of hordak's own. Installed by
``make bench`` (the ``bench`` extra); never used by the application.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, env

INSTALLED_APPS = [*INSTALLED_APPS, "mptt", "djmoney", "hordak"]

DATABASES = {
    "default": env.db_url_config(
        env.str("HORDAK_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/ikiiki_hordak")
    )
}

# Points are whole numbers; hordak needs a currency, so the ledger runs in yen.
DEFAULT_CURRENCY = "JPY"
HORDAK_INTERNAL_CURRENCY = "JPY"
HORDAK_CURRENCIES = ["JPY"]
CURRENCIES = ["JPY"]
