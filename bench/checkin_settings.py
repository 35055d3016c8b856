"""Settings for ``bench_checkin``: the application's own settings, with a URLconf that
adds one bare view (the baseline). Nothing else differs: same middleware, same
authentication, same database settings."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.checkin_urls"
