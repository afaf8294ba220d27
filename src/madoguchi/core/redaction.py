"""Keeping what must not be shown out of what Madoguchi sends and prints for a person.

The rule it serves today: the address of a resident under a 支援措置 (DV、ストーカー行為等、
児童虐待等の被害者) must not reach anyone else through the city, so no e-mail, SMS, LINE
message, push notification or PDF meant for another person may carry it, whoever wrote the
text (a template, a clerk's message, an answer typed into a form).

Who is protected is the register's knowledge (register.protection), but the places where
outgoing things are made sit below it or beside it in the layering: the outbox (notify) and the
PDF layouts (core.pdf) may not import the register. So the register hands its *redactor* to
this registry at start-up (RegisterConfig.ready), the way the upper apps register a finisher or a
provider, and every boundary calls `redact` / `redact_values` / `masker` here: the outbox just
before a channel sends (notify.services), the resident's 受付票 (applications.documents), the
決定通知書 (casework.services). A template or a caller therefore cannot forget it.

Recipients are the opaque references the layer that makes the message already uses for its
receiver: a resident account is "resident:<pk>" (ResidentAccount.ref, the outbox's `person`),
a register record "register:<pk>" (Resident.ref). A redactor spares what belongs to the
recipients it recognises (a protected person may read their own address) and ignores the
references it does not know (a queue ticket, a reservation): with no recipient it recognises,
everything it protects is masked.

Written here rather than with a library (scrubadub, presidio): what is masked is one city's
own list of addresses, matched as the register's address keys, not a pattern guessed in text.
"""

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

# Turns one text into the text a recipient may read.
Masker = Callable[[str], str]


class Redactor(Protocol):
    """Given a city and the recipients, the masker for everything the redactor protects, or
    None when it has nothing to mask for them (so a city without protected residents costs
    one look and nothing per string)."""

    def __call__(self, municipality, recipients: frozenset[str]) -> Masker | None: ...


R = TypeVar("R", bound=Redactor)
_redactors: dict[str, Redactor] = {}


def register_redactor(func: R) -> R:
    """Add a redactor (an app's `ready()` calls this; registering the same function again,
    as a second `ready()` would, changes nothing). Returns it, so it also reads as a decorator."""
    if not callable(func):
        raise TypeError(f"{func!r} is not a redactor")
    name = f"{func.__module__}.{func.__qualname__}"
    existing = _redactors.get(name)
    if existing is not None and existing is not func:
        raise ValueError(f"redactor {name!r} registered twice")
    _redactors[name] = func
    return func


def redactors() -> list[Redactor]:
    return list(_redactors.values())


def _unchanged(text: str) -> str:
    return text


def masker(municipality, recipients: Iterable[str] = ()) -> Masker:
    """One function that applies every registered redactor for these recipients: the
    protected data is read once, then each string of a message or a PDF is masked with it."""
    named = frozenset(ref for ref in recipients if ref)
    found = [m for m in (redactor(municipality, named) for redactor in _redactors.values()) if m]
    if not found:
        return _unchanged
    if len(found) == 1:
        return found[0]

    def all_of(text: str) -> str:
        for mask in found:
            text = mask(text)
        return text

    return all_of


def redact(municipality, text: str, recipients: Iterable[str] = ()) -> str:
    """`text` as the recipients may read it."""
    if not text:
        return text
    return masker(municipality, recipients)(text)


def redact_values(municipality, obj: Any, recipients: Iterable[str] = ()) -> Any:
    """A copy of `obj` (answers: dicts and lists of values) with every string in it as the
    recipients may read it; keys, numbers and the like stay as they are."""
    return mask_values(masker(municipality, recipients), obj)


def mask_values(mask: Masker, obj: Any) -> Any:
    """`obj` with `mask` applied to every string inside it (dicts, lists, tuples)."""
    if mask is _unchanged:
        return obj
    if isinstance(obj, str):
        return mask(obj) if obj else obj
    if isinstance(obj, dict):
        return {key: mask_values(mask, value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        values = [mask_values(mask, value) for value in obj]
        if isinstance(obj, list):
            return values
        return type(obj)(*values) if hasattr(obj, "_fields") else tuple(values)
    return obj
