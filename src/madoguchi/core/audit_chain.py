"""The audit log chained by day, per city, and each day's digest handed outside the database.

The trigger of migration 0002 stops the application from changing the log; it does not stop a
database owner who drops it. So each finished day (Asia/Tokyo) of a city is sealed: a SHA-256
digest over every event of that day in id order, each serialised with all its columns as stable
JSON, and over the day before's digest (`core.models.AuditDay`). An event changed, removed or
added afterwards, a link deleted or rewritten, no longer matches; `madoguchi audit_verify`
recomputes the chain and names the first day that does not.

A chain kept in the same database can be rewritten whole by whoever rewrites a row. So each
day's digest also leaves the database the night it is sealed: appended to one JSON-lines file
per city under `MADOGUCHI_AUDIT_DIGEST_DIR` (kept where the database owner cannot write) and
mailed to the city's 情報政策課 (`MADOGUCHI_AUDIT_DIGEST_TO`, or the e-mail of the city's department
coded `MADOGUCHI_AUDIT_DIGEST_DEPARTMENT`). `audit_verify --against FILE` compares the two.

Written with hashlib rather than a library: what is needed is one hash over a canonical text
and a link to the day before, a few lines; the audit-log libraries for Django record model
changes (django-simple-history, django-auditlog, django-pghistory) and none seals or chains them.
"""

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from madoguchi.core.days import day_bounds, day_of
from madoguchi.core.models import AuditDay, AuditEvent, Department, Municipality

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the "day before" of a city's first day
FORMAT = "madoguchi-audit-day/1"  # named in the hashed text: a later format cannot be mistaken
# A day is sealed this long after its midnight, so an event stamped just before midnight whose
# transaction commits a moment later is in it; the nightly timer runs well after.
SETTLE = timedelta(minutes=10)
COLUMNS = [field.attname for field in AuditEvent._meta.concrete_fields]

REASONS = {
    "event_changed": "an event of this day was changed",
    "event_missing": "an event of this day is missing",
    "event_added": "an event was added to this day after it was sealed",
    "digest_changed": "the day's stored digest was rewritten",
    "link_broken": "the link to the day before does not match its digest",
    "day_missing": "the day's link is missing from the chain",
    "differs_from_copy": "the day's digest differs from the copy handed outside",
}


def _now() -> datetime:
    return timezone.now()


def _events(city: Municipality, day: date):
    start, end = day_bounds(day)
    return AuditEvent.objects.filter(municipality=city, at__gte=start, at__lt=end).order_by("id")


def _canonical(row: tuple) -> str:
    """One event as stable JSON: every column by name, keys sorted, the time in UTC to the
    microsecond, no spaces."""
    event = dict(zip(COLUMNS, row, strict=True))
    event["at"] = event["at"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _lines(city: Municipality, day: date) -> Iterator[tuple[int, str]]:
    for row in _events(city, day).values_list(*COLUMNS).iterator(chunk_size=2000):
        yield row[0], _canonical(row)


def canonical_lines(city: Municipality, day: date) -> list[str]:
    """The day's events as hashed, one line each (for reading, and for the tests)."""
    return [line for _pk, line in _lines(city, day)]


@dataclass(frozen=True)
class Digest:
    digest: str
    count: int
    first_event_id: int | None
    last_event_id: int | None


def digest_of(city: Municipality, day: date, previous: str) -> Digest:
    """SHA-256 over the format, the city's code, the day, the day before's digest and every event
    of the day in id order, one canonical line each."""
    hasher = hashlib.sha256(f"{FORMAT}\n{city.code}\n{day.isoformat()}\n{previous}\n".encode())
    count, first, last = 0, None, None
    for pk, line in _lines(city, day):
        hasher.update(line.encode() + b"\n")
        count, first, last = count + 1, first if first is not None else pk, pk
    return Digest(hasher.hexdigest(), count, first, last)


# --- sealing --------------------------------------------------------------------------------------


def _seal_next(city: Municipality, today: date) -> AuditDay | None:
    """Seal the city's next unsealed finished day, in its own transaction. The city's row is
    locked (FOR NO KEY UPDATE: events may still be written meanwhile) so that two runs take
    turns; where the database has no row locks the unique (city, day) refuses the second."""
    with transaction.atomic():
        Municipality.objects.select_for_update(no_key=True).filter(pk=city.pk).first()
        last = AuditDay.objects.filter(municipality=city).order_by("-day").first()
        if last is not None:
            day, previous = last.day + timedelta(days=1), last.digest
        else:
            first = AuditEvent.objects.filter(municipality=city).aggregate(first=Min("at"))["first"]
            if first is None:
                return None
            day, previous = day_of(first), GENESIS
        if day >= today:
            return None
        sealed = digest_of(city, day, previous)
        return AuditDay.objects.create(
            municipality=city, day=day, count=sealed.count, digest=sealed.digest,
            previous_digest=previous, first_event_id=sealed.first_event_id,
            last_event_id=sealed.last_event_id)


def seal(city: Municipality, now: datetime | None = None) -> list[AuditDay]:
    """Seal every finished, unsealed day of the city, oldest first; a sealed day is never sealed
    again. A day with no events gets its link too; a city that left is sealed up to its closing
    day, not on forever. Returns the days sealed by this call."""
    today = day_of((now or _now()) - SETTLE)
    if city.closed_at is not None:
        today = min(today, day_of(city.closed_at) + timedelta(days=1))
    sealed = []
    while True:
        try:
            link = _seal_next(city, today)
        except IntegrityError:  # another run sealed that day first: it carries on from there
            log.info("audit day of %s sealed by another run", city.slug)
            break
        if link is None:
            break
        sealed.append(link)
    return sealed


# --- handing the digests outside ------------------------------------------------------------------


def _copy(link: AuditDay, city: Municipality) -> dict:
    return {"city": city.slug, "code": city.code, "day": link.day.isoformat(), "count": link.count,
            "first_event_id": link.first_event_id, "last_event_id": link.last_event_id,
            "previous_digest": link.previous_digest, "digest": link.digest,
            "sealed_at": link.sealed_at.astimezone(UTC).isoformat(timespec="seconds")}


def digest_file(city: Municipality) -> Path | None:
    directory = getattr(settings, "MADOGUCHI_AUDIT_DIGEST_DIR", "")
    return Path(directory) / f"{city.slug}.jsonl" if directory else None


def recipients(city: Municipality) -> list[str]:
    """Where the city's digests are mailed: its 情報政策課 (the e-mail of its department coded
    MADOGUCHI_AUDIT_DIGEST_DEPARTMENT), and MADOGUCHI_AUDIT_DIGEST_TO's addresses, each either
    `slug=address` (that city's) or a bare address (every city's)."""
    found = []
    code = getattr(settings, "MADOGUCHI_AUDIT_DIGEST_DEPARTMENT", "joho")
    if code:
        found += Department.objects.filter(municipality=city, code=code).exclude(email="") \
            .values_list("email", flat=True)
    for item in str(getattr(settings, "MADOGUCHI_AUDIT_DIGEST_TO", "") or "").split(","):
        slug, _, address = item.strip().rpartition("=")
        if address and slug in ("", city.slug):
            found.append(address.strip())
    return sorted(set(found))


def _file(city: Municipality, links: list[AuditDay], path: Path) -> None:
    """Append, never rewrite: a day already in the file stays as it was; the write is synced
    before the link is marked filed (a crash between the two appends that day again, same line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for link in links:
            handle.write(json.dumps(_copy(link, city), ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _mail(city: Municipality, links: list[AuditDay], to: list[str]) -> None:
    from django.core.mail import EmailMessage

    from madoguchi.core import cities

    first, last = links[0].day.isoformat(), links[-1].day.isoformat()
    rows = "\n".join(f"{link.day.isoformat()}  {link.count:>8}  {link.digest}" for link in links)
    body = (
        f"{city.name}（{city.code}）の監査ログの日ごとのダイジェストです。このメールを保存してください。\n"  # ja-only: the mail to the city's 情報政策課 is in Japanese, English below
        f"The daily digests of {city.name}'s audit log. Keep this mail: "
        f"`madoguchi audit_verify --city {city.slug}` recomputes them (docs/operations.md).\n\n"
        f"day         events      digest (SHA-256)\n{rows}\n\n"
        f"previous digest of {first}: {links[0].previous_digest}\n"
    )
    EmailMessage(subject=f"[Madoguchi] audit log digests {city.slug} {first}..{last}", body=body,
                 from_email=cities.sender(city), to=to).send()


def hand_out(city: Municipality) -> list[str]:
    """Hand each sealed day's digest outside the database, once per way: appended to the city's
    digest file, mailed. A way that fails is tried again on the next run (its days stay unmarked);
    returns what failed."""
    failed = []
    path = digest_file(city)
    if path is not None:
        links = list(AuditDay.objects.filter(municipality=city, filed_at__isnull=True).order_by("day"))
        if links:
            try:
                _file(city, links, path)
            except OSError as exc:
                failed.append(f"{city.slug}: digest file {path}: {exc}")
            else:
                AuditDay.objects.filter(pk__in=[link.pk for link in links]).update(filed_at=_now())
    to = recipients(city)
    if to:
        links = list(AuditDay.objects.filter(municipality=city, mailed_at__isnull=True).order_by("day"))
        if links:
            try:
                _mail(city, links, to)
            except Exception as exc:  # noqa: BLE001 - a refused connection, a 4xx: next run
                failed.append(f"{city.slug}: digest mail: {type(exc).__name__}")
            else:
                AuditDay.objects.filter(pk__in=[link.pk for link in links]).update(mailed_at=_now())
    for problem in failed:
        log.warning("audit digests not handed out: %s", problem)
    return failed


# --- verifying ------------------------------------------------------------------------------------


@dataclass
class Verification:
    city: Municipality
    days: int = 0  # links verified
    broken_day: date | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_day is None

    def explain(self) -> str:
        if self.ok:
            return f"{self.city.slug}: chain intact, {self.days} days verified"
        return (f"{self.city.slug}: chain broken on {self.broken_day.isoformat()}: {self.reason} "
                f"({REASONS[self.reason]})")


def _why(link: AuditDay, recomputed: Digest, following: AuditDay | None) -> str:
    if recomputed.count < link.count:
        return "event_missing"
    if recomputed.count > link.count:
        return "event_added"
    if following is not None and following.previous_digest == recomputed.digest:
        return "digest_changed"  # the events still give the digest the next day was linked to
    return "event_changed"


def _chain(city: Municipality, from_day: date | None) -> tuple[int, date | None, str]:
    links = AuditDay.objects.filter(municipality=city).order_by("day")
    if from_day is not None:
        before = AuditDay.objects.filter(municipality=city, day__lt=from_day).order_by("-day").first()
        links = links.filter(day__gte=from_day)
        expected_day = before.day + timedelta(days=1) if before else None
        expected_previous = before.digest if before else GENESIS
    else:
        expected_day, expected_previous = None, GENESIS
    links = list(links)
    if links and expected_day is None:
        if links[0].previous_digest != GENESIS:  # the chain's first days were deleted
            return 0, links[0].day - timedelta(days=1), "day_missing"
        if from_day is None:
            early = (AuditEvent.objects.filter(municipality=city, at__lt=day_bounds(links[0].day)[0])
                     .aggregate(first=Min("at"))["first"])
            if early is not None:
                return 0, day_of(early), "event_added"
    days = 0
    for index, link in enumerate(links):
        if expected_day is not None and link.day != expected_day:
            return days, expected_day, "day_missing"
        if link.previous_digest != expected_previous:
            return days, link.day, "link_broken"
        recomputed = digest_of(city, link.day, link.previous_digest)
        if recomputed.digest != link.digest:
            following = links[index + 1] if index + 1 < len(links) else None
            return days, link.day, _why(link, recomputed, following)
        days += 1
        expected_day, expected_previous = link.day + timedelta(days=1), link.digest
    return days, None, ""


def read_copies(path: Path, city: Municipality) -> dict[date, str]:
    """The digests handed outside for the city, from a digest file (JSON lines)."""
    copies = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            copy = json.loads(line)
            if copy.get("city") == city.slug:
                copies[date.fromisoformat(copy["day"])] = copy["digest"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}:{number}: not a digest line") from exc
    return copies


def verify(city: Municipality, from_day: date | None = None, against: Path | None = None) -> Verification:
    """Recompute the city's chain (from `from_day`, trusting the link before it) and name the
    first day that does not hold. With `against`, the digests handed outside must each be the
    sealed day's: that catches a chain rewritten whole, or its newest days deleted."""
    days, broken, reason = _chain(city, from_day)
    if against is not None:
        copies = read_copies(against, city)
        if not copies:
            raise ValueError(f"{against}: no digests of {city.slug}")
        stored = dict(AuditDay.objects.filter(municipality=city).values_list("day", "digest"))
        for day in sorted(d for d in copies if from_day is None or d >= from_day):
            if broken is not None and day >= broken:
                break
            if day not in stored:
                broken, reason = day, "day_missing"
                break
            if stored[day] != copies[day]:
                broken, reason = day, "differs_from_copy"
                break
    return Verification(city, days, broken, reason)
