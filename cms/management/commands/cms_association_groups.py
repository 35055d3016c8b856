"""Create or repair one Wagtail group per district association (idempotent)."""

from django.core.management.base import BaseCommand

from cms.services.associations import association_groups_sync


class Command(BaseCommand):
    help = (
        "Give each district association page an editors' group that may add, edit and "
        "publish only under that page. Add people to the groups in admin → Settings → Users."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--moderated",
            action="store_true",
            default=None,
            help="Editors submit events for approval by city staff instead of publishing "
            "(default: the CMS_EVENT_MODERATION setting).",
        )
        parser.add_argument("--unmoderated", action="store_false", dest="moderated")

    def handle(self, *args, moderated=None, **options):
        groups = association_groups_sync(moderated=moderated)
        for group in groups:
            self.stdout.write(f"  {group.name}")
        self.stdout.write(self.style.SUCCESS(f"association groups: {len(groups)}"))
