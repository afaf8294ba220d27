"""`madoguchi content_messages`: add the content's new Japanese texts to every language's
overlay files (as `makemessages` does for the pages' strings)."""

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import i18n
from madoguchi.core.i18n import content

HEADER = {
    "Translated-By": "Madoguchi project (machine-assisted draft); a city should review it",
    "X-Review": "needs review by the city",
}


class Command(BaseCommand):
    help = "Add new content texts (procedures, life events) to the overlay .po files of every language."

    def add_arguments(self, parser):
        parser.add_argument("--language", action="append", help="only this language (repeatable)")
        parser.add_argument("--source", action="append",
                            help="only this content (repeatable): " + ", ".join(s.name for s in content.sources()))

    def handle(self, *args, **options):
        languages = options["language"] or [c for c in i18n.codes() if c != i18n.DEFAULT]
        wanted = options["source"]
        unknown = sorted(set(wanted or ()) - {s.name for s in content.sources()})
        if unknown:
            raise CommandError(f"no such content: {', '.join(unknown)}")
        for source in content.sources():
            if wanted and source.name not in wanted:
                continue
            written = content.update_files(source, languages, HEADER)
            self.stdout.write(f"{source.name}: {len(written)} files")
