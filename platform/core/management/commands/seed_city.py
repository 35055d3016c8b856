"""Generate a whole city for benchmarks: ``seed_city --scale S [--seed N]``.

At scale 1: 150,000 residents, 20,000 volunteers, 1,000 shops, 500 places, 13
districts, ten fiscal years of activities and points (about 5 million ledger entries),
vouchers, redemptions and monthly statements, 10,000 events, 2,000 proposals and
30,000 help requests. Bulk SQL on PostgreSQL; refuses to run in production.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.module_loading import import_string

from core.city import City


class Command(BaseCommand):
    help = "Generate a city of the given scale with bulk SQL (PostgreSQL; never production)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, required=True, help="1 = 150,000 residents")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same city")

    def handle(self, *args, scale: float, seed: int, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_city creates fictitious people; it never runs in production.")
        if connection.vendor != "postgresql":
            raise CommandError(
                "seed_city writes with PostgreSQL's generate_series and hash functions; "
                "run it against a PostgreSQL DATABASE_URL."
            )
        if not 0 < scale <= 10:
            raise CommandError("--scale must be above 0 and at most 10.")
        city = City(scale=scale, seed=seed, out=self.stdout)
        started = time.perf_counter()
        self.stdout.write(f"seed_city: scale {scale:g}, seed {seed}, anchored on {city.today}")
        with transaction.atomic():
            for dotted in settings.CITY_SEEDERS:
                import_string(dotted)(city)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(f"city ready in {time.perf_counter() - started:.1f} s")
        )
