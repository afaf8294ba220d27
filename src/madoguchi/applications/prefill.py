"""What the register and the navigator already know, field by field, for a resident's forms.

One mapping of register → form serves both the counter's bundle (counter.bundle, for the
visit's subject, with the navigator's answers) and the online flow (`from_register`, for a
card-linked account: once-only online).

For a top-level field, the first of these that knows a value wins:
1. its id, when the shipped forms use that id for a household fact (BY_FIELD_ID, e.g. the
   世帯主's name in `household_head_name`, even where the field's prefill says applicant).
   Counter only (`at_counter`), except the 世帯主 and spouse (ONLINE_TOO): the other ids name
   facts of the visit's subject (the deceased in おくやみ, the new address in 転入), which online
   the account holder's own record does not answer. Online, household members' 個人番号 are not
   put on the screen either;
2. its applicant `prefill` (FROM_REGISTER), from whoever signs: the subject, or in an おくやみ
   visit the family member who came (Household.applicant);
3. the navigator: the event's day for the date fields that ask it (EVENT_DAY_FIELDS) and the
   choices an event settles (event_choices, e.g. 転入 → 加入の理由 = 転入). Online, a draft
   started from a plan gets only these (`from_navigator`), and after a birth the newborn's
   birth date as the first child of the claim (EVENT_DAY_ITEMS).
A group with a well-known id gets one item per person (PEOPLE_OF_GROUP); its sub-fields are
filled by id from the person's record (BY_MEMBER_FIELD). Every value goes through the form
engine's cleaning, so a value the field would refuse is left blank instead.

Sources are plain strings ("register", "navigator"); counter.models.Source has the same values.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from madoguchi.applications.fieldvalues import FieldError, clean_scalar
from madoguchi.catalog.schema import FieldType, FormDefinition, FormField
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.core.japanese import municipality_of
from madoguchi.core.japanese.calendar import age_on
from madoguchi.register.codes import HEAD, SPOUSES, DatePrecision, Gender, ResidentKind
from madoguchi.register.dates import last_day
from madoguchi.register.models import Resident
from madoguchi.register.selectors import members_of
from madoguchi.register.services import linked_resident

REGISTER = "register"  # the resident register (住民記録)
NAVIGATOR = "navigator"  # the answers given to 手続ナビ
ADULT_AGE = 18


@dataclass(frozen=True)
class Household:
    """The subject (the visit's, or the linked account's resident) and the members of their
    household, as the register has them."""

    subject: Resident
    members: list[Resident]
    on: date
    applicant: Resident | None = None  # who signs, when not the subject (おくやみ: the family member)
    visitor: Resident | None = None  # who came to the counter, when the register knows them
    by_proxy: bool = False  # a 代理人 applies in the subject's name

    @property
    def signer(self) -> Resident:
        return self.applicant or self.subject

    @property
    def head(self) -> Resident:
        return next((m for m in self.members if m.relationship == HEAD), self.subject)

    @property
    def spouse(self) -> Resident | None:
        head = self.head
        if self.subject.pk != head.pk:
            return head if self.subject.relationship in SPOUSES else None
        return next((m for m in self.members if m.relationship in SPOUSES), None)

    @property
    def children(self) -> list[Resident]:
        """The household's children (続柄 子) under 18."""
        return [m for m in self.members  # 不詳: under 18 if the latest day it could be says so
                if m.relationship == "子" and age_on(last_day(m.birth_date, m.birth_date_precision), self.on) < ADULT_AGE]  # ja-only: 続柄 as the register writes it


# 続柄 of household members who are not family: 同居者, not 同居の親族.
NOT_RELATIVES = ("同居人", "縁故者")  # ja-only: 続柄 as the register writes it


def who_applies(h: Household) -> tuple[str, ...]:
    """The options that say who made the form (届出人の区分, 申請者の区分), most precise first;
    a field takes the first it offers. Nothing when the register does not know who came."""
    if h.by_proxy:
        return ("proxy",)
    visitor = h.visitor
    if visitor is None:
        return ()
    if visitor.pk == h.subject.pk:
        return ("self", "head", "household") if visitor.pk == h.head.pk else ("self", "household")
    if visitor.household_id == h.subject.household_id:
        kin = "cohabitant" if visitor.relationship in NOT_RELATIVES else "relative_cohabiting"
        return (kin, "household", "self")
    return ()



def my_number_of(resident: Resident | None) -> str:
    return decrypt_bytes(resident.my_number).decode() if resident and resident.my_number else ""


def _spouse(attr: str) -> Callable[[Household], str]:
    return lambda h: getattr(h.spouse, attr) if h.spouse else ""


SEX = {Gender.MALE: "male", Gender.FEMALE: "female"}


def birth_date_of(resident: Resident | None) -> str:
    """The 生年月日 for a date field, only when the register knows the day: a date it knows
    by month or year only (不詳) is left for the person to give, never made up."""
    if resident is None or resident.birth_date_precision != DatePrecision.DAY:
        return ""
    return resident.birth_date.isoformat()


def domicile_of(resident: Resident | None) -> str:
    """本籍, or for a foreign resident the 国籍・地域, as the forms' 本籍 fields ask
    (「外国人の方は国籍を記入してください」)."""
    if resident is None:
        return ""
    return resident.nationality if resident.kind == ResidentKind.FOREIGN else resident.domicile


def domicile_head_of(resident: Resident | None) -> str:
    """筆頭者; blank for a foreign resident (「外国人の方は空欄です」)."""
    return resident.domicile_head if resident is not None and resident.kind != ResidentKind.FOREIGN else ""


def _foreign(attr: str) -> Callable[[Resident], str]:
    return lambda r: getattr(r, attr) if r.kind == ResidentKind.FOREIGN else ""


# A field's applicant `prefill` → the signer's value.
FROM_REGISTER: dict[str, Callable[[Resident], str]] = {
    "applicant_name": lambda r: r.name,
    "applicant_kana": lambda r: r.kana,
    "applicant_birth_date": birth_date_of,
    "applicant_address": lambda r: r.full_address,
    "applicant_postal_code": lambda r: r.postal_code,
    # The register's optional columns (docs/register.md): empty where the city's file has none.
    "applicant_domicile": domicile_of,
    "applicant_domicile_head": domicile_head_of,
    "applicant_nationality": _foreign("nationality"),
    "applicant_residence_status": _foreign("residence_status"),
    "applicant_residence_card_number": _foreign("residence_card_number"),
    "applicant_common_name": _foreign("common_name"),
}
# Facts of the signer's own 戸籍 or 在留: a field marked with one is that fact whatever its id
# (family-register-certificate's `head_name` is the 筆頭者, not the 世帯主 of BY_FIELD_ID).
OWN_RECORD = ("applicant_domicile", "applicant_domicile_head", "applicant_nationality",
              "applicant_residence_status", "applicant_residence_card_number", "applicant_common_name")


def _partner(gender: str) -> Callable[[Household], Resident | None]:
    """婚姻届's 夫になる人 or 妻になる人: the visit's subject when of that 性別, else a partner
    already living with them as 妻（未届）or 夫（未届）."""
    def find(h: Household) -> Resident | None:
        if h.subject.gender == gender:
            return h.subject
        spouse = h.spouse
        if spouse is not None and spouse.gender == gender and spouse.relationship.endswith("（未届）"):  # ja-only: 続柄 as the register writes it
            return spouse
        return None
    return find


_HUSBAND, _WIFE = _partner(Gender.MALE), _partner(Gender.FEMALE)

BY_FIELD_ID: dict[str, Callable[[Household], str]] = {
    # 転入届 (moving-in)
    "new_address": lambda h: h.subject.full_address,
    "new_postal_code": lambda h: h.subject.postal_code,
    "previous_address": lambda h: h.subject.previous_address,
    # who made the form: 転入届・世帯変更届 notifier_type, 国保 notifier, 死亡届 notifier_role
    "notifier_type": who_applies,
    "notifier": who_applies,
    "notifier_role": who_applies,
    "applicant_type": who_applies,
    # 国保加入, 犬の登録事項変更: the municipality moved from, read off the 前住所
    "previous_municipality": lambda h: municipality_of(h.subject.previous_address),
    "household_head_name": lambda h: h.head.name,
    "household_head_kana": lambda h: h.head.kana,
    # 国民健康保険加入 (nhi-enrollment): the form asks for the 世帯主
    "head_name": lambda h: h.head.name,
    "head_kana": lambda h: h.head.kana,
    "head_birth_date": lambda h: birth_date_of(h.head),
    "head_my_number": lambda h: my_number_of(h.head),
    # 児童手当 (child-allowance-claim)
    "claimant_my_number": lambda h: my_number_of(h.subject),
    "has_spouse": lambda h: "yes" if h.spouse else "no",
    "spouse_name": _spouse("name"),
    "spouse_kana": _spouse("kana"),
    # 犬の登録事項変更 (dog-registration-change)
    "old_address": lambda h: h.subject.previous_address,
    # 死亡届 (death-registration): the subject is the deceased, the applicant the notifier
    "deceased_name": lambda h: h.subject.name,
    "deceased_kana": lambda h: h.subject.kana,
    "deceased_sex": lambda h: SEX.get(h.subject.gender, ""),
    "deceased_birth_date": lambda h: birth_date_of(h.subject),
    "deceased_postal_code": lambda h: h.subject.postal_code,
    "deceased_address": lambda h: h.subject.full_address,
    "deceased_household_head": lambda h: h.head.name,
    "deceased_domicile": lambda h: domicile_of(h.subject),
    "deceased_domicile_head": lambda h: domicile_head_of(h.subject),
    # 婚姻届 (marriage-registration): each side's 本籍 and 筆頭者, by 性別
    "husband_domicile": lambda h: domicile_of(_HUSBAND(h)),
    "husband_domicile_head": lambda h: domicile_head_of(_HUSBAND(h)),
    "wife_domicile": lambda h: domicile_of(_WIFE(h)),
    "wife_domicile_head": lambda h: domicile_head_of(_WIFE(h)),
}

# Facts of the household that read the same for the account holder online: the 世帯主 and the
# spouse (the applicant `prefill` on some of these fields would give the holder's own name).
ONLINE_TOO = ("household_head_name", "household_head_kana", "head_name", "head_kana",
              "head_birth_date", "has_spouse", "spouse_name", "spouse_kana")

# 続柄 on the register → the option values the forms use for a relationship.
RELATIONSHIP_OPTIONS = {HEAD: "head", "妻": "spouse", "夫": "spouse", "妻（未届）": "spouse",  # ja-only: 続柄
                        "夫（未届）": "spouse", "子": "child", "父": "parent", "母": "parent",  # ja-only: 続柄
                        "孫": "grandchild"}  # ja-only: 続柄 as the register writes it


def _relationship(field: FormField, person: Resident) -> str:
    if not field.options:
        return person.relationship  # a text field: the 続柄 as written on the 住民票
    allowed = {o.value for o in field.options}
    value = RELATIONSHIP_OPTIONS.get(person.relationship, "other")
    return value if value in allowed else ("other" if "other" in allowed else "")


def _nationality(field: FormField, person: Resident) -> str:
    """The 国籍 choice (日本 / 日本以外): foreign for a 外国人住民; Japanese only when the register
    shows a 本籍 (a city's file without the 住民種別 column says nothing either way)."""
    if person.kind == ResidentKind.FOREIGN:
        return "foreign"
    return "japanese" if person.domicile else ""


BY_MEMBER_FIELD: dict[str, Callable[[FormField, Resident], str]] = {
    "name": lambda f, p: p.name,
    "kana": lambda f, p: p.kana,
    "birth_date": lambda f, p: birth_date_of(p),
    "sex": lambda f, p: SEX.get(p.gender, ""),
    "relationship": _relationship,
    "my_number": lambda f, p: my_number_of(p),
    "living": lambda f, p: "together",  # the household's members live at its address
    # 転入届's movers: 国籍, then 本籍・筆頭者 (日本) or 国籍・地域・在留カード等の番号 (日本以外)
    "nationality": _nationality,
    "domicile": lambda f, p: p.domicile if p.kind != ResidentKind.FOREIGN else "",
    "domicile_head": lambda f, p: domicile_head_of(p),
    "country": lambda f, p: _foreign("nationality")(p),
    "residence_card_number": lambda f, p: _foreign("residence_card_number")(p),
}

PEOPLE_OF_GROUP: dict[str, Callable[[Household], list[Resident]]] = {
    "movers": lambda h: h.members,  # 転入届: the family that moved in together
    "members": lambda h: h.members,  # 国保加入: everyone who joins
    "children": lambda h: h.children,  # 児童手当, 子ども医療費助成: the children under 18
    "persons": lambda h: h.members,  # 世帯変更届: the household whose head or make-up changes
}

EVENT_DAY_FIELDS = ("moved_date", "start_date", "reason_date", "change_date", "death_date")

# A group whose newest item the event's day describes: after a birth, the newborn is a child of
# the claim (児童手当, 子ども医療費助成) born on that day. Online from a plan only (`from_navigator`):
# at the counter the register's children fill the group and the clerk adds the newborn.
EVENT_DAY_ITEMS: dict[str, dict[str, str]] = {"birth": {"children": "birth_date"}}


def event_choices(event: str, answers: dict) -> dict[str, dict[str, str]]:
    """procedure code → {field id: option value} that the navigator's event answers settle."""
    if event != "moving":
        return {}
    if answers.get("kind") == "from_other_city":
        return {"moving-in": {"previous_place": "domestic"},
                "vaccination-moving-in": {"previous_place": "domestic"},
                "nhi-enrollment": {"reason": "moved_in"},
                "child-medical-subsidy": {"reason": "moved_in"},
                "dog-registration-change": {"change_kind": "moved_in"}}
    if answers.get("kind") == "from_abroad":
        return {"moving-in": {"previous_place": "abroad"},
                "vaccination-moving-in": {"previous_place": "abroad"},
                "nhi-enrollment": {"reason": "from_abroad"}}
    return {}


def _clean(field: FormField, value):
    if value in (None, ""):
        return None
    try:
        return clean_scalar(field, value)
    except FieldError:
        return None


@dataclass
class Filled:
    answers: dict
    sources: dict[str, str]  # field path → source; one entry per value, group sub-fields too


def _first_clean(field: FormField, value):
    """A value, or the first of several candidates (who_applies), that the field accepts."""
    candidates = value if isinstance(value, tuple) else (value,)
    return next((clean for v in candidates if (clean := _clean(field, v)) is not None), None)


def fill(form: FormDefinition, procedure_code: str, household: Household | None,
         event: str = "", answers: dict | None = None, day: date | None = None, *,
         at_counter: bool = True) -> Filled:
    """The answers and their sources for one form; fields nobody knows stay out.
    Online (`at_counter=False`) leaves out the ids of BY_FIELD_ID and members' 個人番号."""
    answers = answers or {}
    choices = event_choices(event, answers).get(procedure_code, {})
    filled = Filled({}, {})
    for step in form.steps:
        for field in step.fields:
            if field.type == FieldType.GROUP:
                if household is not None and field.id in PEOPLE_OF_GROUP:
                    _fill_group(filled, field, _people(field.id, household, event, answers),
                                with_my_number=at_counter)
                elif household is None and not at_counter and day is not None:
                    _fill_event_item(filled, field, event, day)
                continue
            value, source = _top_level(field, household, choices, day, at_counter)
            value = _first_clean(field, value)
            if value is not None:
                filled.answers[field.id] = value
                filled.sources[field.id] = source
    return filled


def _people(group_id: str, household: Household, event: str, answers: dict) -> list[Resident]:
    if group_id == "movers" and event == "moving" and answers.get("household") == "alone":
        return [household.subject]  # moved in alone: the rest of the household was here before
    people = PEOPLE_OF_GROUP[group_id](household)
    if event == "death":  # 世帯変更, 国保の変更: the household that remains
        return [p for p in people if p.pk != household.subject.pk]
    return people


def _top_level(field: FormField, household: Household | None, choices: dict, day: date | None,
               at_counter: bool):
    if household is not None:
        if field.prefill in OWN_RECORD:
            return FROM_REGISTER[field.prefill](household.signer), REGISTER
        if field.id in BY_FIELD_ID and (at_counter or field.id in ONLINE_TOO):
            return BY_FIELD_ID[field.id](household), REGISTER
        if field.prefill in FROM_REGISTER:
            return FROM_REGISTER[field.prefill](household.signer), REGISTER
    if field.id in choices:
        return choices[field.id], NAVIGATOR
    if field.id in EVENT_DAY_FIELDS and day is not None:
        return day.isoformat(), NAVIGATOR
    return None, ""


def _fill_group(filled: Filled, group: FormField, people: list[Resident], with_my_number: bool) -> None:
    items = []
    for index, person in enumerate(people[: group.max_items]):
        item = {}
        for sub in group.fields:
            if sub.id in BY_MEMBER_FIELD and (with_my_number or sub.id != "my_number"):
                value = _clean(sub, BY_MEMBER_FIELD[sub.id](sub, person))
                if value is not None:
                    item[sub.id] = value
                    filled.sources[f"{group.id}-{index}-{sub.id}"] = REGISTER
        items.append(item)
    if items:
        filled.answers[group.id] = items


def _fill_event_item(filled: Filled, group: FormField, event: str, day: date) -> None:
    """One item holding the event's day (the newborn's birth date), when the event names one."""
    sub_id = EVENT_DAY_ITEMS.get(event, {}).get(group.id)
    sub = next((f for f in group.fields if f.id == sub_id), None)
    value = _clean(sub, day.isoformat()) if sub is not None else None
    if value is not None:
        filled.answers[group.id] = [{sub.id: value}]
        filled.sources[f"{group.id}-0-{sub.id}"] = NAVIGATOR


def from_navigator(form: FormDefinition, procedure_code: str, event: str, answers: dict,
                   day: date | None) -> Filled:
    """What a 手続ナビ plan knows for one online form: the event's day in the date fields that
    ask for it (and the newborn's birth date), the options the answers settle; source
    "navigator" on each. The plan names nobody, so nothing here is personal."""
    return fill(form, procedure_code, None, event, answers, day, at_counter=False)


def event_day_in(answers: dict, event: str = "") -> date | None:
    """The event's day as the form's answers give it (the resident may have typed or changed it):
    the first of EVENT_DAY_FIELDS that holds a date, else, for a draft started from an event
    that names a group item (EVENT_DAY_ITEMS), the latest date among those items. None when the
    form does not say."""
    for field_id in EVENT_DAY_FIELDS:
        found = _as_date(answers.get(field_id))
        if found is not None:
            return found
    days = [_as_date(item.get(sub_id)) for group_id, sub_id in EVENT_DAY_ITEMS.get(event, {}).items()
            for item in answers.get(group_id) or [] if isinstance(item, dict)]
    days = [d for d in days if d is not None]
    return max(days) if days else None


def _as_date(value) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def from_register(account, form: FormDefinition) -> Filled:
    """Once-only online: what the register holds for a card-linked account's form, with the
    source of each value by path (`children-0-name` → "register"); empty without a link.

    Top-level fields by their applicant `prefill` (the account holder's own record), groups
    by id from the household: `children` the children under 18, `members` and `movers` every
    member. One audit event `register_prefill` lists the paths filled, never the values."""
    resident = linked_resident(account)
    if resident is None:
        return Filled({}, {})
    household = Household(subject=resident, members=list(members_of(resident)),
                          on=timezone.localdate())
    filled = fill(form, "", household, at_counter=False)
    if filled.answers:
        audit.record(account.municipality, Actor.resident(account.pk), "register_prefill",
                     "register", "prefill", subject_ref=account.ref, resident=resident.pk,
                     fields=sorted(filled.sources))
    return filled
