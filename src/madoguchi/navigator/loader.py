"""Load and check the life-event files; a broken file names its path, the item and the reason."""

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from madoguchi.catalog.loader import catalog, describe, read_yaml
from madoguchi.navigator.rules import Event

EVENTS_DIR = Path(__file__).resolve().parent / "events"


class EventFileError(Exception):
    """A life-event file is unreadable or invalid. The message names the file and the item."""


def load_file(path: Path, known_procedures: Iterable[str] | dict) -> Event:
    """Read one event; `known_procedures` are the codes its rules may name (a dict code →
    Procedure, such as the catalogue, also lets `at_counter` be checked)."""
    data = read_yaml(path, EventFileError)
    if not isinstance(data, dict):
        raise EventFileError(f"{path}: the file must hold one mapping (a life event)")
    try:
        event = Event.model_validate(data)
    except ValidationError as exc:
        raise EventFileError(describe(path, exc, "life-event file")) from exc
    problems = []
    if event.id != path.stem:
        problems.append(f"id: '{event.id}' must match the file name")
    known = known_procedures if isinstance(known_procedures, dict) else set(known_procedures)
    for index, rule in enumerate(event.rules):
        if rule.procedure not in known:
            problems.append(f"rules.{index}.procedure: unknown procedure '{rule.procedure}'")
        elif rule.at_counter and isinstance(known, dict) and not known[rule.procedure].department:
            problems.append(f"rules.{index}.at_counter: '{rule.procedure}' has no counter here")
    problems += event.problems()
    if problems:
        raise EventFileError("\n  ".join([f"{path}: invalid life-event file", *problems]))
    for text in event.texts():
        text.bind(path.parent, event.id)  # its translations: <directory>/i18n/<language>/<id>.po
    return event


def load_directory(directory: Path, known_procedures: Iterable[str] | dict) -> dict[str, Event]:
    known = known_procedures if isinstance(known_procedures, dict) else set(known_procedures)
    found = [load_file(path, known) for path in sorted(Path(directory).glob("*.yaml"))]
    return {event.id: event for event in sorted(found, key=lambda e: e.order)}


@lru_cache(maxsize=1)
def events() -> dict[str, Event]:
    """The shipped life events in display order, checked against the national catalogue."""
    return load_directory(EVENTS_DIR, catalog())


def event_texts() -> Iterable[tuple[str, str]]:
    """(event id, Japanese text) of every shipped event: the overlays' source (apps.py)."""
    for event in events().values():
        for text in event.texts():
            yield event.id, text.ja
