"""What the reviewer compares: a corrected application's changes between versions, field by
field, and the applicant's 基本4情報 against the resident register.

The diff (`diff`) is a pure function over two (form, answers) pairs: each version is read with
its own form version, so a label comes from the form the resident saw, and every value reads as
the versions below it on the case page (`fieldvalues.display`, the engine's item labels).

The register check (`register_check`) is a staff action, run when a clerk presses
「住民記録と照合する」: every look-up goes through `register.selectors` (audited, the case's
受付番号 as the reason), so the audit log holds the look-ups somebody asked for and no others.
"""

from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.applications import engine
from madoguchi.applications import services as applications
from madoguchi.applications.fieldvalues import display
from madoguchi.applications.models import Channel
from madoguchi.applications.prefill import SEX
from madoguchi.catalog.schema import FieldType, FormDefinition, FormField
from madoguchi.core.actors import Actor
from madoguchi.register import protection
from madoguchi.register.codes import CURRENT, Status
from madoguchi.register.dates import format_partial, within
from madoguchi.register.keys import address_key, name_key
from madoguchi.register.models import Resident
from madoguchi.register.selectors import (
    LookupRefused,
    find_by_basic_info,
    find_by_kana,
    household_members,
)
from madoguchi.register.services import linked_resident

# ---------------------------------------------------------------------------------------------
# Changes between versions


@dataclass(frozen=True)
class Change:
    """One field that differs between two versions. `old`/`new` are display texts ("" when the
    field has no value on that side); a 個人番号 carries neither (`masked`)."""

    kind: str  # "changed" | "added" | "removed"
    path: str  # `field` or `group.<n>.field` (n from 0), for tests and ids
    label: str  # as the newer version's form labels it (the older one's when removed)
    old: str = ""
    new: str = ""
    old_label: str = ""  # the older form's label, when the form versions label it differently
    item: int | None = None  # the group item's number (1, 2 …), None for a top-level field
    masked: bool = False  # a 個人番号: changed, never shown
    file: bool = False  # an attachment (a changed file is a replaced one)


@dataclass(frozen=True)
class _Answer:
    field: FormField
    label: str
    value: object
    item: int | None


def _answered(form: FormDefinition, answers) -> dict[str, _Answer]:
    """path → answer for every visible, answered field, in the form's order. Mirrors what
    `engine.summary` shows (the same visibility and item labels) but keeps the path and the
    stored value, which comparing needs and the summary's rows do not carry. Answers of
    another shape (an old version, a hand-made import) are read as far as they go."""
    answers = answers if isinstance(answers, dict) else {}
    found: dict[str, _Answer] = {}
    for step in form.steps:
        for f in step.fields:
            if not engine.visible(f, answers):
                continue
            if f.type == FieldType.GROUP:
                items = answers.get(f.id)
                for n, item in enumerate(items if isinstance(items, list) else [], start=1):
                    item = item if isinstance(item, dict) else {}
                    for sub in f.fields:
                        value = item.get(sub.id)
                        if engine.visible(sub, answers, item) and not engine.unanswered(value):
                            found[f"{f.id}.{n - 1}.{sub.id}"] = _Answer(
                                sub, str(engine.item_field_label(f, n, sub)), value, n)
                continue
            value = answers.get(f.id)
            if not engine.unanswered(value):
                found[f.id] = _Answer(f, str(f.label), value, None)
    return found


def _same(a: _Answer, b: _Answer) -> bool:
    """A file is the same when it is the same attachment (a new upload has a new id)."""
    if a.field.type == FieldType.FILE and b.field.type == FieldType.FILE:
        return _file_id(a.value) == _file_id(b.value)
    return a.value == b.value and a.field.type == b.field.type


def _file_id(value):
    return value.get("id") if isinstance(value, dict) else value


def _shown(answer: _Answer | None) -> str:
    if answer is None or answer.field.type == FieldType.MY_NUMBER:
        return ""
    return display(answer.field, answer.value)


def diff(old: tuple[FormDefinition, dict], new: tuple[FormDefinition, dict]) -> list[Change]:
    """The fields changed, added or removed from `old` to `new`, each a (form, answers) pair;
    the newer form's order, then what only the older one had. Group items are compared item by
    item, by position (お子さん2 is the second child on both sides)."""
    before, after = _answered(*old), _answered(*new)
    changes = []
    for path, a in after.items():
        b = before.get(path)
        if b is not None and _same(b, a):
            continue
        masked = FieldType.MY_NUMBER in (a.field.type, b.field.type if b else None)
        changes.append(Change(
            kind="added" if b is None else "changed", path=path, label=a.label,
            old=_shown(b), new=_shown(a), old_label=b.label if b and b.label != a.label else "",
            item=a.item, masked=masked, file=a.field.type == FieldType.FILE))
    for path, b in before.items():
        if path not in after:
            changes.append(Change(kind="removed", path=path, label=b.label, old=_shown(b),
                                  item=b.item, masked=b.field.type == FieldType.MY_NUMBER,
                                  file=b.field.type == FieldType.FILE))
    return changes


def version_diffs(case, procedure) -> list[dict]:
    """Each pair of consecutive versions, newest first: {"old", "new" (numbers), "changes"}."""
    versions = list(case.versions.order_by("-number"))
    read = [(procedure.form(v.form_version), applications.answers_of(v)) for v in versions]
    return [{"old": versions[i + 1].number, "new": versions[i].number,
             "changes": diff(read[i + 1], read[i])} for i in range(len(versions) - 1)]


# ---------------------------------------------------------------------------------------------
# The register check

MATCH, MISMATCH, NOT_FOUND = "match", "mismatch", "not-found"

# The reason written with each look-up (register.selectors takes it as given, up to 200 chars).
REASON = "案件 %(receipt)s の住民記録確認"  # ja-only: the audit log's reason, stored as written

NAME_DIFFERS = gettext_lazy("氏名が住民記録と異なります")
BIRTH_DATE_DIFFERS = gettext_lazy("生年月日が住民記録と異なります")
ADDRESS_DIFFERS = gettext_lazy("住民記録にある申請者の世帯の住所と異なります（ほかの世帯の住所かもしれません）")
SEX_DIFFERS = gettext_lazy("性別が住民記録と異なります")
NOT_IN_REGISTER = gettext_lazy("この基本4情報の住民は住民記録に見つかりません")
MOVED_OUT = gettext_lazy("転出した人です（以前の住民）")
DECEASED = gettext_lazy("死亡により消除された人です")
REMOVED = gettext_lazy("住民記録から消除された人です（職権消除など）")
SEVERAL = gettext_lazy("複数の住民が一致します。窓口の照会で確認してください")
NOT_IN_HOUSEHOLD = gettext_lazy("申請者の世帯にいません")
NOT_IN_HOUSEHOLD_SEPARATE = gettext_lazy("申請者の世帯にいません（申請では別居）")
NO_HOUSEHOLD = gettext_lazy("申請者が住民記録で確認できないため、世帯と照合できません")


@dataclass(frozen=True)
class Check:
    """One row of the check: what the application says, and the register's answer."""

    item: str  # what is checked (氏名, お子さん1 …)
    state: str  # MATCH | MISMATCH | NOT_FOUND
    written: str = ""  # the application's value, as displayed
    registered: str = ""  # the register's value, shown only when it differs (the applicant's own)
    note: str = ""  # what differs


@dataclass
class RegisterCheck:
    found_by: str = ""  # "link" (the account's card link), "basic_info", "kana", "" (not found)
    rows: list[Check] = field(default_factory=list)
    children: list[Check] = field(default_factory=list)
    lookups: int = 0  # audited look-ups made

    @property
    def state(self) -> str:
        states = {r.state for r in self.rows + self.children}
        return MISMATCH if MISMATCH in states else NOT_FOUND if NOT_FOUND in states else MATCH


@dataclass(frozen=True)
class Applicant:
    """The form's fields holding the applicant's 基本4情報 (and フリガナ, for the look-up)."""

    name: FormField | None = None
    kana: FormField | None = None
    birth_date: FormField | None = None
    address: FormField | None = None
    sex: FormField | None = None
    children: FormField | None = None

    @property
    def checkable(self) -> bool:
        return self.name is not None and self.birth_date is not None


_PREFILLS = {"applicant_name": "name", "applicant_kana": "kana",
             "applicant_birth_date": "birth_date", "applicant_address": "address"}
_SEX_VALUES = set(SEX.values())
CHILDREN = "children"  # the group the register's children under 18 fill (prefill.PEOPLE_OF_GROUP)


def applicant_fields(form: FormDefinition) -> Applicant:
    """The applicant's fields by their applicant `prefill` (the same markers that pre-fill them
    from the register); 性別 is the choice of 男/女 in the step that asks the applicant's name
    (no form marks it otherwise); children the group the register's children fill."""
    found: dict[str, FormField] = {}
    for step in form.steps:
        for f in step.fields:
            if f.prefill in _PREFILLS:
                found.setdefault(_PREFILLS[f.prefill], f)
            if f.type == FieldType.GROUP and f.id == CHILDREN:
                found.setdefault("children", f)
        if "name" in found and "sex" not in found:
            sex = next((f for f in step.fields if f.type in {FieldType.RADIO, FieldType.SELECT}
                        and {o.value for o in f.options} >= _SEX_VALUES), None)
            if sex is not None:
                found["sex"] = sex
    return Applicant(**found)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _same_address(written: str, resident: Resident) -> bool:
    """As `register.selectors.matching_basic_info` compares: the address keys, with or without
    the 方書."""
    return address_key(written) in (address_key(resident.full_address), address_key(resident.address))


class _Lookups:
    """The audited look-ups of one check: the case as the reason, counted."""

    def __init__(self, case, actor: Actor):
        self.city, self.actor, self.count = case.municipality, actor, 0
        self.reason = REASON % {"receipt": case.receipt_number}

    def __call__(self, selector, *args, **kwargs):
        self.count += 1
        return selector(self.city, self.actor, self.reason, *args, **kwargs)


def _find_applicant(case, who: Applicant, answers: dict, lookup: _Lookups) -> tuple[Resident | None, str, bool]:
    """(the applicant's record, how it was found, several matched). The account's register
    link first (proven with the card); else the written 基本4情報; else the フリガナ and birth
    date among current and former residents (to say who moved out, or what differs)."""
    if case.account_id:
        linked = linked_resident(case.account)
        if linked is not None:
            return linked, "link", False
    name, born = _text(answers.get(who.name.id)), _date(answers.get(who.birth_date.id))
    address = _text(answers.get(who.address.id)) if who.address else ""
    if not (name and born):
        return None, "", False
    if address:
        found = lookup(find_by_basic_info, name, born, address)
        if len(found) == 1:
            return found[0], "basic_info", False
        if len(found) > 1:
            return None, "", True
    kana = _text(answers.get(who.kana.id)) if who.kana else ""
    if not kana:
        return None, "", False
    try:
        found = lookup(find_by_kana, kana, born, include_former=True)
    except LookupRefused:
        return None, "", False
    same_name = [r for r in found if name_key(r.name) == name_key(name)]
    current = [r for r in same_name or found if r.status in CURRENT]
    candidates = current or same_name or found
    return (candidates[0], "kana", False) if len(candidates) == 1 else (None, "", len(candidates) > 1)


def _applicant_rows(who: Applicant, answers: dict, record: Resident) -> list[Check]:
    rows = []
    if record.status not in CURRENT:  # 転出予定 is still a resident
        note = {Status.DECEASED: DECEASED, Status.REMOVED: REMOVED}.get(record.status, MOVED_OUT)
        rows.append(Check(_("住民記録の状態"), MISMATCH, registered=record.get_status_display(),
                          note=str(note)))
    name = _text(answers.get(who.name.id))
    rows.append(_compare(who.name, answers, name_key(name) == name_key(record.name), record.name,
                         NAME_DIFFERS))
    born = _date(answers.get(who.birth_date.id))
    rows.append(_compare(who.birth_date, answers, within(born, record.birth_date, record.birth_date_precision),
                         _registered_birth_date(who.birth_date, record), BIRTH_DATE_DIFFERS))
    if who.address is not None:
        address = _text(answers.get(who.address.id))
        # A 支援措置's address is not shown beside what was written: the applicant may be the
        # person the protection is against (register.protection; the 支援措置担当 looks it up).
        registered = str(protection.MASKED) if protection.is_protected(record) else record.full_address
        rows.append(_compare(who.address, answers, bool(address) and _same_address(address, record),
                             registered, ADDRESS_DIFFERS))
    if who.sex is not None and answers.get(who.sex.id) is not None:
        registered = SEX.get(record.gender, "")
        rows.append(_compare(who.sex, answers, answers.get(who.sex.id) == registered,
                             display(who.sex, registered), SEX_DIFFERS))
    return rows


def _registered_birth_date(f: FormField, record: Resident) -> str:
    """The register's 生年月日 as the check shows it: with 不詳 where the register has no day
    or month, never a made-up exact date."""
    text = format_partial(record.birth_date, record.birth_date_precision)
    return display(f, text) if text == record.birth_date.isoformat() else text


def _compare(f: FormField, answers: dict, same: bool, registered: str, differs) -> Check:
    written = display(f, answers.get(f.id))
    if same:
        return Check(str(f.label), MATCH, written)
    return Check(str(f.label), MISMATCH, written, registered, str(differs))


def _children_rows(group: FormField, answers: dict, members: list[Resident] | None) -> list[Check]:
    """Each child of the application (氏名 + 生年月日) against the applicant's household."""
    items = answers.get(group.id)
    rows = []
    for n, item in enumerate(items if isinstance(items, list) else [], start=1):
        item = item if isinstance(item, dict) else {}
        label = f"{group.item_label or group.label}{n}"
        name, born = _text(item.get("name")), _date(item.get("birth_date"))
        born_field = next((f for f in group.fields if f.id == "birth_date"), None)
        shown_born = display(born_field, item["birth_date"]) if born_field and born else ""
        written = " ".join(filter(None, [name, shown_born]))
        if members is None:
            rows.append(Check(label, NOT_FOUND, written, note=str(NO_HOUSEHOLD)))
        elif any(name_key(m.name) == name_key(name) and within(born, m.birth_date, m.birth_date_precision)
                 for m in members):
            rows.append(Check(label, MATCH, written))
        else:
            note = NOT_IN_HOUSEHOLD_SEPARATE if item.get("living") == "separate" else NOT_IN_HOUSEHOLD
            rows.append(Check(label, MISMATCH, written, note=str(note)))
    return rows


def register_check(case, procedure, actor: Actor) -> RegisterCheck | None:
    """Check the current version's applicant (and children) against the register; None when
    the form holds no 氏名 and 生年月日 of an applicant to check. Every look-up is one audit
    event naming the case; a counter case is not looked up (it was filed from the register)."""
    version = case.current_version
    form = procedure.form(version.form_version)
    who = applicant_fields(form)
    if not who.checkable or case.channel == Channel.COUNTER:
        return None
    answers = applications.answers_of(version)
    answers = answers if isinstance(answers, dict) else {}
    lookup = _Lookups(case, actor)
    record, found_by, several = _find_applicant(case, who, answers, lookup)
    result = RegisterCheck(found_by=found_by)
    members = None
    if record is None:
        written = " ".join(filter(None, [display(who.name, answers.get(who.name.id)),
                                         display(who.birth_date, answers.get(who.birth_date.id))]))
        result.rows.append(Check(_("申請者"), NOT_FOUND, written, note=str(SEVERAL if several else NOT_IN_REGISTER)))
    else:
        result.rows = _applicant_rows(who, answers, record)
        if record.status in CURRENT:  # audited even when only the link was read
            members = lookup(household_members, record)
    if who.children is not None:
        result.children = _children_rows(who.children, answers, members)
    result.lookups = lookup.count
    return result


# ---------------------------------------------------------------------------------------------
# The case page's panel


def case_context(request, case, procedure) -> dict:
    """The review panel of a case page: the changes between versions (none with one version)
    and how the register check applies (a counter case came from the register)."""
    version = case.current_version
    if version is None:  # a case made without answers (a bulk loader, a test): nothing to compare
        return {"diffs": [], "from_register": case.channel == Channel.COUNTER, "check_url": ""}
    form = procedure.form(version.form_version)
    checkable = case.channel != Channel.COUNTER and applicant_fields(form).checkable
    return {
        "diffs": version_diffs(case, procedure),
        "from_register": case.channel == Channel.COUNTER,
        "check_url": reverse("casework:register_check", args=[case.public_id]) if checkable else "",
    }
