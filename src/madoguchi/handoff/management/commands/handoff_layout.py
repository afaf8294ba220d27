"""`madoguchi handoff_layout <procedure>`: the CSV layout of a procedure's hand-off file, as the
Table Schema the file target publishes beside its files (--format json) or as a table to hand
to a business system's vendor (--format markdown)."""

import json

from django.core.management.base import BaseCommand, CommandError

from madoguchi.catalog.loader import catalog_for
from madoguchi.handoff import layouts


class Command(BaseCommand):
    help = "Print the hand-off CSV layout of a procedure (Table Schema JSON or a Markdown table)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("procedure")
        parser.add_argument("--city", default="demo", help="the city's slug (its own procedures)")
        parser.add_argument("--form-version", type=int, default=None, help="default: the current form")
        parser.add_argument("--format", choices=["json", "markdown"], default="markdown")
        parser.add_argument("--include-my-number", action="store_true")

    def handle(self, *args, procedure, city, form_version, format, include_my_number, **options):
        found = catalog_for(city, "ja").get(procedure)
        if found is None or not found.forms:
            raise CommandError(f"no procedure with a form: {procedure}")
        try:
            form = found.form(form_version) if form_version else found.current_form
        except KeyError as exc:
            raise CommandError(str(exc)) from None
        columns = layouts.columns(found, form, include_my_number)
        if format == "json":
            self.stdout.write(json.dumps(layouts.table_schema(columns), ensure_ascii=False, indent=1))
            return
        self.stdout.write("| name | type | title | values |\n| --- | --- | --- | --- |")
        for c in columns:
            self.stdout.write(f"| `{c.name}` | {c.type} | {c.title} | {' / '.join(c.enum)} |")
