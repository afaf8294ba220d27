"""住民基本台帳事務における支援措置: which residents are protected, and what that changes.

A resident under a 支援措置 (DV、ストーカー行為等、児童虐待等の被害者, 住基法12条6項・事務処理要領)
must not be found by the person the protection is against, through the city. So, while a
mark is in force:

- every look-up shows the record as 「支援措置対象」 with its address masked (`flag`), and only
  a staff member holding the 支援措置担当 role who records a reason sees the address
  (`reveal`, audited each time);
- the counter warns when such a resident is chosen and prints or shows the visitor no address
  until the clerk confirms the visitor is the person (counter.services);
- a request by anyone else for their 住民票の写し or 附票 waits for a clerk's decision
  (applications.protection_holds);
- nothing meant for someone else carries their address (`mask_lines`, which the register's
  redactor hands to core.redaction for every outgoing message and every PDF made for a resident).

This module is the one place that says whether a mark is in force; every rule above reads it.
"""

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_json, encrypt_json
from madoguchi.core.models import Role, today_in_japan
from madoguchi.core.roles import departments_of
from madoguchi.register.keys import address_key, name_key
from madoguchi.register.models import Resident, SupportMeasure

# What a masked address reads as, on every page, print and message: it does not say why, since
# whoever reads it may be the person the protection is against.
MASKED = gettext_lazy("（非表示）")
# The word a look-up shows beside a protected record.
PROTECTED = gettext_lazy("支援措置対象")
MAX_REASON = 200
# A 支援措置 runs for one year from the day it is confirmed, and is extended year by year
# (事務処理要領); a mark given without an end runs that year.
DEFAULT_DAYS = 365


class ProtectionRefused(Exception):
    """The step was not taken; the message is plain Japanese for the staff member."""


def in_force(prefix: str = "", on: date | None = None) -> Q:
    """The condition "the mark is in force on `on` (today in Japan)": begun, not ended, not lifted."""
    day = on or today_in_japan()
    return Q(**{f"{prefix}starts_on__lte": day, f"{prefix}ends_on__gte": day}) & (
        Q(**{f"{prefix}lifted_on__isnull": True}) | Q(**{f"{prefix}lifted_on__gt": day}))


def marks_in_force(municipality, on: date | None = None):
    return SupportMeasure.objects.filter(in_force(on=on), municipality=municipality)


def _marks(municipality, resident_ids=None, on: date | None = None):
    marks = marks_in_force(municipality, on)
    return marks if resident_ids is None else marks.filter(resident_id__in=list(resident_ids))


def protected_ids(municipality, resident_ids=None, on: date | None = None) -> set[int]:
    """The residents (of `resident_ids`, or all of the city) under a mark in force."""
    return set(_marks(municipality, resident_ids, on).values_list("resident_id", flat=True))


def is_protected(resident: Resident, on: date | None = None) -> bool:
    return bool(protected_ids(resident.municipality, [resident.pk], on))


def flag(residents: list[Resident]) -> list[Resident]:
    """Set `protected` on each resident (one query for them all), so a page masks their
    address; the list is returned for chaining."""
    if not residents:
        return residents
    found = protected_ids(residents[0].municipality, [r.pk for r in residents])
    for resident in residents:
        resident.protected = resident.pk in found
    return residents


def may_reveal(user, municipality) -> bool:
    """Holds the 支援措置担当 role in force in a department of the city."""
    return user.is_authenticated and departments_of(user, municipality, Role.SUPPORT_MEASURES).exists()


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ProtectionRefused(_("支援措置対象者の住所を表示する理由を入力してください。"))
    return reason[:MAX_REASON]


def reveal(municipality, user, actor: Actor, resident_id: int, reason: str) -> Resident:
    """A protected resident's record with the address, for a staff member with the right who
    gives a reason; audited every time (register_protected_view) with the reason."""
    if not may_reveal(user, municipality):
        raise ProtectionRefused(_("支援措置対象者の住所は、支援措置担当の職員だけが表示できます。"))
    reason = _reason(reason)
    resident = Resident.objects.filter(municipality=municipality, pk=resident_id).select_related(
        "household").first()
    if resident is None:
        raise ProtectionRefused(_("この住民は見つかりません。"))
    resident.protected = is_protected(resident)
    audit.record(municipality, actor, "register_protected_view", "register", "support_measure",
                 subject_ref=resident.ref, reason=reason, protected=resident.protected)
    return resident


# --- marking and lifting ------------------------------------------------------------------------


def _dates(starts_on: date | None, ends_on: date | None) -> tuple[date, date]:
    starts_on = starts_on or today_in_japan()
    ends_on = ends_on or date.fromordinal(starts_on.toordinal() + DEFAULT_DAYS - 1)
    if ends_on < starts_on:
        raise ProtectionRefused(_("終了日は開始日より後の日にしてください。"))
    return starts_on, ends_on


@transaction.atomic
def mark(municipality, actor: Actor, resident: Resident, *, starts_on: date | None = None,
         ends_on: date | None = None, reference: str = "", against: dict | None = None,
         household: bool = False) -> list[SupportMeasure]:
    """Mark the resident (and, where the city decides, the current members of their
    household) as under a 支援措置 for the period. `against`: the person the protection is
    against, where known ({"name", "kana", "birth_date"}), stored encrypted. The caller checks
    the right (views: `may_reveal`)."""
    from madoguchi.register.selectors import members_of  # selectors reads this module

    if resident.municipality_id != municipality.pk:
        raise ProtectionRefused(_("この住民は見つかりません。"))
    starts_on, ends_on = _dates(starts_on, ends_on)
    people = list(members_of(resident)) if household else [resident]
    if resident not in people:
        people.insert(0, resident)
    secret = {k: str(v).strip() for k, v in (against or {}).items() if v and str(v).strip()}
    made = [SupportMeasure.objects.create(
        municipality=municipality, resident=person, reference=reference.strip()[:40],
        starts_on=starts_on, ends_on=ends_on, marked_by=actor.ref,
        against=encrypt_json(secret, municipality) if secret else b"") for person in people]
    for measure in made:
        audit.record(municipality, actor, "support_measure_mark", "support_measure", measure.pk,
                     subject_ref=measure.resident.ref, starts_on=starts_on.isoformat(),
                     ends_on=ends_on.isoformat(), household=household, against_known=bool(secret))
    return made


@transaction.atomic
def extend(measure: SupportMeasure, actor: Actor, ends_on: date) -> SupportMeasure:
    """延長: the 申出 was renewed, the mark runs to `ends_on`."""
    if measure.lifted_on is not None:
        raise ProtectionRefused(_("解除した支援措置は延長できません。新しく登録してください。"))
    if ends_on <= measure.ends_on:
        raise ProtectionRefused(_("延長後の終了日は、今の終了日より後の日にしてください。"))
    before = measure.ends_on
    measure.ends_on = ends_on
    measure.save(update_fields=["ends_on"])
    audit.record(measure.municipality, actor, "support_measure_extend", "support_measure", measure.pk,
                 subject_ref=measure.resident.ref, ends_on=ends_on.isoformat(), before=before.isoformat())
    return measure


@transaction.atomic
def lift(measure: SupportMeasure, actor: Actor, reason: str) -> SupportMeasure:
    """解除 (the person withdrew the 申出, or it was found no longer needed): from today the
    address is shown again. The row stays, with who lifted it and why."""
    reason = (reason or "").strip()
    if not reason:
        raise ProtectionRefused(_("解除の理由を入力してください。"))
    if measure.lifted_on is not None:
        raise ProtectionRefused(_("この支援措置はもう解除されています。"))
    measure.lifted_on, measure.lifted_by, measure.lift_reason = today_in_japan(), actor.ref, reason[:200]
    measure.save(update_fields=["lifted_on", "lifted_by", "lift_reason"])
    audit.record(measure.municipality, actor, "support_measure_lift", "support_measure", measure.pk,
                 subject_ref=measure.resident.ref)
    return measure


def against_of(measure: SupportMeasure) -> dict:
    """The person the protection is against, as recorded (for the 支援措置担当's page only)."""
    return decrypt_json(bytes(measure.against)) if measure.against else {}


def matches_against(measure: SupportMeasure, name: str = "", birth_date: str = "") -> bool:
    """Whether someone (a requester, a visitor) is the person the protection is against, as far
    as it is recorded: used to say so to the clerk who decides a held request."""
    known = against_of(measure)
    if not known:
        return False
    same_name = bool(name) and name_key(name) == name_key(known.get("name", ""))
    same_born = bool(birth_date) and birth_date == known.get("birth_date")
    return same_name and (same_born or not known.get("birth_date"))


# --- keeping the address out of what others receive ---------------------------------------------


def addresses_of(municipality, resident_ids=None, on: date | None = None) -> set[str]:
    """The register addresses of the protected residents (of `resident_ids`, or all of the
    city), as address keys (spaces, 丁目 and 番地 written any way): what `mask_lines` looks for."""
    protected = _marks(municipality, resident_ids, on)
    keys = set()
    for address, detail in protected.values_list("resident__address", "resident__address_detail"):
        keys.add(address_key(address))
        if detail:
            keys.add(address_key(f"{address}{detail}"))
    return {key for key in keys if key}


def mask_lines(text: str, keys: set[str]) -> str:
    """`text` with each line that holds one of `keys` (`addresses_of`) masked: MASKED replaces
    the address after a line's label (「住所：…」), or the whole line.

    Addresses are compared as keys, so 「1丁目2番3号」 and 「1-2-3」 are one address. The keys are
    read once for a whole message or PDF (register.redaction), then each text is masked."""
    if not text or not keys:
        return text
    return "\n".join(_redact_line(line, keys) for line in text.split("\n"))


def _redact_line(line: str, keys: set[str]) -> str:
    key = address_key(line)
    if not key:
        return line
    if any(protected and protected in key for protected in keys):
        for separator in ("：", ":", "\u3000", " "):  # ja-only: the label separators of a line
            label, found, rest = line.partition(separator)
            if found and rest and any(protected in address_key(rest) for protected in keys) \
                    and not any(protected in address_key(label) for protected in keys):
                return f"{label}{found}{MASKED}"
        return str(MASKED)
    return line
