"""Compile the project's gettext catalogues with polib.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt`` on the machine; this command
does the same with a Python library so ``make`` works on a fresh machine and nothing
outside the virtualenv is needed at run time. It compiles only the project's own
catalogues (``LOCALE_PATHS``); third-party apps ship theirs compiled.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the project's .po catalogues to .mo (no GNU gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Fail if a catalogue has untranslated, fuzzy or obsolete entries.",
        )

    def handle(self, *args, check: bool = False, **options):
        problems: list[str] = []
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                catalogue = polib.pofile(str(po_path))
                if check:
                    problems += [
                        f"{po_path}: untranslated: {e.msgid!r}"
                        for e in catalogue.untranslated_entries()
                    ]
                    problems += [
                        f"{po_path}: fuzzy: {e.msgid!r}" for e in catalogue.fuzzy_entries()
                    ]
                    problems += [
                        f"{po_path}: obsolete: {e.msgid!r}" for e in catalogue.obsolete_entries()
                    ]
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                compiled += 1
        if problems:
            raise CommandError("Incomplete catalogue:\n" + "\n".join(problems))
        self.stdout.write(f"compiled {compiled} catalogue(s)")
