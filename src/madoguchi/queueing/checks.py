"""`madoguchi check` lists the counter groups and visit purposes whose names are shown in Japanese
for want of a translation (their `translations` field, edited in the admin).

The names are rows in the database, so this is a database check, as Django means it: run by
`madoguchi check --database default` (and `migrate`), not by every `check` or test start."""

from django.core.checks import Info, Tags, register
from django.db import DatabaseError


@register(Tags.database, "i18n")
def untranslated_queue_names(app_configs, databases=None, **kwargs):
    from madoguchi.core import i18n
    from madoguchi.queueing.models import CounterGroup, VisitPurpose

    notes = []
    if not databases:
        return notes
    try:
        rows = [*CounterGroup.objects.all(), *VisitPurpose.objects.all()]
    except DatabaseError:  # no database yet (a fresh checkout): nothing to list
        return notes
    for language in i18n.codes():
        if language == i18n.DEFAULT:
            continue
        missing = [row for row in rows if not (row.translations or {}).get(language)]
        if missing:
            notes.append(Info(
                f"queue: {len(missing)} counter group and purpose names are shown in Japanese in {language}",
                hint="add them in the admin (translations): "
                     + ", ".join(sorted({f"{type(r).__name__}:{r.pk}" for r in missing})[:20]),
                id="queueing.I001"))
    return notes
