"""Load the demo town. Idempotent; refuses to run in production."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Create or refresh the demo town (districts, logins per role, app data)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates known passwords; it never runs in production.")
        # Each app contributes a seeder, in dependency order (settings.DEMO_SEEDERS).
        for dotted in settings.DEMO_SEEDERS:
            import_string(dotted)(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"demo town ready: {settings.WAGTAILADMIN_BASE_URL}/"))
