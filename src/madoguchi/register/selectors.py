"""Staff look-ups in the register. Each one writes an audit event with the reason and the
staff actor before it returns, so no look-up path can skip the audit; the event holds the
method and the internal ids found, never the name, birth date, address or number searched.

The counter session passes its own id as the reason (e.g. "counter-session:42").
"""

from datetime import date

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext as _

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.japanese import JapaneseInputError, kana_search_key, normalize_kana, parse_date
from madoguchi.identity.card.mynumber import is_valid as is_valid_my_number
from madoguchi.register.codes import CURRENT, HEAD
from madoguchi.register.dates import born_on
from madoguchi.register.keys import address_key, my_number_hash, name_key
from madoguchi.register.models import Resident
from madoguchi.register.protection import flag

MAX_RESULTS = 50
MAX_REASON = 200


class LookupRefused(Exception):
    """The look-up was not made; the message is plain Japanese for the clerk."""


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise LookupRefused(_("照会の理由（窓口の受付番号や目的）を入力してください。"))
    return reason[:MAX_REASON]


def _audit(municipality, actor: Actor, reason: str, method: str, found: list[Resident]) -> None:
    """The look-up's audit event; each resident found is flagged `protected` when under a
    支援措置 (register.protection), so every page that shows the result masks their address,
    and the event names them, so a look-up of a protected resident stands out in the log."""
    flag(found)
    protected = [r.pk for r in found if r.protected]
    audit.record(municipality, actor, "register_lookup", "register", method,
                 subject_ref=found[0].ref if len(found) == 1 else "",
                 reason=reason, matched=[r.pk for r in found], **({"protected": protected} if protected else {}))


def _current(municipality, include_former: bool = False):
    rows = Resident.objects.filter(municipality=municipality).select_related("household")
    return rows if include_former else rows.filter(status__in=CURRENT)


def kana_query(kana: str) -> Q:
    """Full name (with or without a space), surname only or given name only; hiragana or
    katakana, small kana or large."""
    parts = normalize_kana(kana or "").split("\u3000")  # ja-only: the ideographic space between surname and given name
    if len(parts) >= 2:
        return Q(kana_key=kana_search_key("".join(parts)))
    key = kana_search_key(parts[0])
    if not key:
        raise LookupRefused(_("フリガナを入力してください。"))
    return Q(kana_key=key) | Q(surname_key=key) | Q(given_key=key)


def _as_date(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return parse_date(str(value))
    except JapaneseInputError as exc:
        raise LookupRefused(str(exc)) from None


def find_by_kana(municipality, actor: Actor, reason: str, kana: str, birth_date=None, *,
                 include_former: bool = False) -> list[Resident]:
    """Residents whose フリガナ matches, born on `birth_date` when given (the usual case)."""
    reason = _reason(reason)
    rows = _current(municipality, include_former).filter(kana_query(kana))
    if birth_date:
        rows = rows.filter(born_on(_as_date(birth_date)))
    found = list(rows.order_by("kana_key", "birth_date", "pk")[:MAX_RESULTS])
    _audit(municipality, actor, reason, "kana", found)
    return found


def find_by_my_number(municipality, actor: Actor, reason: str, number: str,
                      include_former: bool = False) -> Resident | None:
    """Exact look-up through the keyed hash; nothing is decrypted."""
    reason = _reason(reason)
    digits = (number or "").replace("-", "").replace(" ", "")
    if not is_valid_my_number(digits):
        raise LookupRefused(_("個人番号は12桁の数字で、検査用数字が正しいものを入力してください。"))
    resident = _current(municipality, include_former).filter(
        my_number_hash=my_number_hash(digits)).order_by("pk").first()
    _audit(municipality, actor, reason, "my_number", [resident] if resident else [])
    return resident


def matching_basic_info(municipality, name: str, birth_date, address: str) -> list[Resident]:
    """Current residents whose 氏名, 生年月日 and 住所 match the card's 基本4情報, tolerant of
    spaces, 異体字 and the ways an address is written. Not audited: callers audit."""
    wanted_name, wanted_address = name_key(name), address_key(address)
    candidates = _current(municipality).filter(born_on(_as_date(birth_date)))
    return [r for r in candidates
            if name_key(r.name) == wanted_name
            and wanted_address in (address_key(r.full_address), address_key(r.address))]


def find_by_basic_info(municipality, actor: Actor, reason: str, name: str, birth_date,
                       address: str) -> list[Resident]:
    """The card read at the counter (券面事項入力補助 or the signing certificate)."""
    reason = _reason(reason)
    found = matching_basic_info(municipality, name, birth_date, address)
    _audit(municipality, actor, reason, "basic_info", found)
    return found


def household_members(municipality, actor: Actor, reason: str, resident: Resident) -> list[Resident]:
    """The current members of the resident's household, head first, then by birth date."""
    reason = _reason(reason)
    if resident.municipality_id != municipality.pk:
        raise LookupRefused(_("この住民は見つかりません。"))
    found = list(members_of(resident))
    _audit(municipality, actor, reason, "household", found)
    return found


def members_of(resident: Resident):
    """Not audited: for the resident's own pre-fill and for callers that audit."""
    head_first = Case(When(relationship=HEAD, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (Resident.objects.filter(household_id=resident.household_id, status__in=CURRENT)
            .select_related("household").order_by(head_first, "birth_date", "pk"))


def find_by_card_face(municipality, actor: Actor, reason: str, face) -> list[Resident]:
    """The counter's card read (identity.card.pkcs11.CardFace): by 個人番号 when the card gave a
    well-formed one, otherwise by the 基本4情報. One audit event either way."""
    reason = _reason(reason)
    number = (getattr(face, "my_number", "") or "").strip()
    if is_valid_my_number(number):
        found = list(_current(municipality).filter(my_number_hash=my_number_hash(number)).order_by("pk")[:1])
        _audit(municipality, actor, reason, "card_my_number", found)
        return found
    found = matching_basic_info(municipality, face.name, face.birth_date, face.address)
    _audit(municipality, actor, reason, "card_basic_info", found)
    return found
