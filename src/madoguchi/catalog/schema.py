"""The shape of a procedure file: pydantic models that validate every YAML on load.

One YAML file per procedure holds the procedure's facts and its form definitions, one
per version. A draft pins the version it started with; a submission records it.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NAME = "name"  # a person's name: variant kanji (髙, 﨑) kept exactly as typed
    KANA = "kana"  # フリガナ: katakana only (hiragana converted)
    DATE = "date"  # 西暦 or 和暦 accepted
    POSTAL_CODE = "postal_code"  # with an address look-up into the field named by `address_field`
    ADDRESS = "address"
    PHONE = "phone"
    EMAIL = "email"
    SELECT = "select"
    RADIO = "radio"
    CHECKBOX = "checkbox"  # with options: several may be ticked; without: one yes/no box
    NUMBER = "number"
    YEN = "yen"
    FILE = "file"
    MY_NUMBER = "my_number"  # 個人番号: check digit verified, shown masked, revealed only on purpose
    GROUP = "group"  # a repeating group (e.g. each child)


class Option(Strict):
    value: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    label: str


class Condition(Strict):
    """Show a field only when another answer matches. `field` may name a field in an
    earlier step or the same step (or, inside a group, a sibling field of the item)."""

    field: Identifier
    equals: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    checked: bool | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def one_test(self):
        tests = [self.equals is not None, self.in_ is not None, self.checked is not None]
        if sum(tests) != 1:
            raise ValueError("a condition needs exactly one of: equals, in, checked")
        return self


class FormField(Strict):
    id: Identifier
    type: FieldType
    label: str
    help: str = ""
    required: bool = False
    options: list[Option] = []
    show_if: Condition | None = None
    min_length: int | None = None
    max_length: int | None = None
    digits: bool = False  # a text field of ASCII digits only (口座番号): refused and counted as 桁
    min_value: int | None = None
    max_value: int | None = None
    date_min: Literal["today", "past", "future"] | None = None
    address_field: Identifier | None = None
    accept: list[Literal["pdf", "jpeg", "png"]] = ["pdf", "jpeg", "png"]
    prefill: Literal["applicant_name", "applicant_kana", "applicant_birth_date",
                     "applicant_address", "applicant_postal_code", "applicant_phone",
                     "applicant_email", "applicant_domicile", "applicant_domicile_head",
                     "applicant_nationality", "applicant_residence_status",
                     "applicant_residence_card_number", "applicant_common_name"] | None = None
    fields: list["FormField"] = []  # for groups
    min_items: int = 0
    max_items: int = 10
    item_label: str = ""

    @model_validator(mode="after")
    def consistent(self):
        choice = self.type in {FieldType.SELECT, FieldType.RADIO}
        if choice and not self.options:
            raise ValueError(f"a {self.type} field needs options")
        if self.options and self.type not in {FieldType.SELECT, FieldType.RADIO, FieldType.CHECKBOX}:
            raise ValueError(f"a {self.type} field takes no options")
        if self.type == FieldType.GROUP:
            if not self.fields:
                raise ValueError("a group needs fields")
            if any(f.type == FieldType.GROUP for f in self.fields):
                raise ValueError("groups do not nest")
            if self.min_items > self.max_items:
                raise ValueError("min_items is larger than max_items")
        elif self.fields:
            raise ValueError("only a group has fields")
        if self.digits and self.type != FieldType.TEXT:
            raise ValueError("digits belongs to a text field")
        if self.address_field and self.type != FieldType.POSTAL_CODE:
            raise ValueError("address_field belongs to a postal_code field")
        return self


class Step(Strict):
    id: Identifier
    title: str
    description: str = ""
    fields: list[FormField]


class FormDefinition(Strict):
    version: Annotated[int, Field(ge=1)]
    steps: Annotated[list[Step], Field(min_length=1)]

    @model_validator(mode="after")
    def unique_ids_and_known_conditions(self):
        seen: dict[str, FormField] = {}
        for step in self.steps:
            for field in step.fields:
                if field.id in seen:
                    raise ValueError(f"field id '{field.id}' is used twice")
                _check_condition(field, seen, field.id)
                seen[field.id] = field
                inner: dict[str, FormField] = {}
                for sub in field.fields:
                    if sub.id in inner:
                        raise ValueError(f"field id '{field.id}.{sub.id}' is used twice")
                    _check_condition(sub, seen | inner, f"{field.id}.{sub.id}")
                    inner[sub.id] = sub
                if field.address_field and field.address_field not in _ids(step):
                    raise ValueError(f"address_field '{field.address_field}' is not in the step")
        return self

    def field_ids(self) -> set[str]:
        return {f.id for step in self.steps for f in step.fields}


def _check_condition(field: FormField, earlier: dict[str, FormField], where: str) -> None:
    """A condition must point at an earlier field and test a value that field can take."""
    condition = field.show_if
    if condition is None:
        return
    target = earlier.get(condition.field)
    if target is None:
        raise ValueError(f"field '{where}' depends on '{condition.field}', which is not an earlier field")
    if condition.checked is not None:
        if target.type != FieldType.CHECKBOX or target.options:
            raise ValueError(f"field '{where}': 'checked' needs a single yes/no checkbox")
        return
    if target.type == FieldType.CHECKBOX and condition.in_ is not None:
        raise ValueError(f"field '{where}': use 'equals' for a ticked option of '{target.id}'")
    values = [condition.equals] if condition.equals is not None else list(condition.in_ or [])
    if target.options and any(v not in {o.value for o in target.options} for v in values):
        raise ValueError(f"field '{where}': {values} are not all options of '{target.id}'")


def _check_condition_values(target: FormField, condition: Condition, where: str) -> None:
    if condition.checked is not None:
        if target.type != FieldType.CHECKBOX or target.options:
            raise ValueError(f"{where}: 'checked' needs a single yes/no checkbox")
        return
    values = [condition.equals] if condition.equals is not None else list(condition.in_ or [])
    if target.options and any(v not in {o.value for o in target.options} for v in values):
        raise ValueError(f"{where}: {values} are not all options of '{target.id}'")


def _check_per(code: str, per: "FeePer", fields: dict[str, FormField]) -> None:
    where = f"fees.lines.{code}.per"
    if per.group is not None:
        group = fields.get(per.group)
        if group is None or group.type != FieldType.GROUP:
            raise ValueError(f"{where}: '{per.group}' is not a group of the form")
        if per.field is not None:
            inner = {f.id: f for f in group.fields}.get(per.field)
            if inner is None or inner.type != FieldType.NUMBER:
                raise ValueError(f"{where}: '{per.field}' is not a number field of group '{per.group}'")
        return
    target = fields.get(per.field)
    if target is None or target.type != FieldType.NUMBER:
        raise ValueError(f"{where}: '{per.field}' is not a number field of the form")


def _ids(step: Step) -> set[str]:
    return {f.id for f in step.fields}


class Document(Strict):
    """Something the resident must attach or bring."""

    name: str
    note: str = ""
    required: bool = True


Yen = Annotated[int, Field(ge=0, strict=True)]  # whole yen: a float or "300" is refused


class ChecklistItem(Strict):
    """One point the department checks before deciding (添付書類の確認, 所得要件 …): ticked on
    the case and kept with it (casework.ChecklistTick). Staff-facing, in Japanese."""

    id: Identifier
    label: Annotated[str, Field(min_length=1, max_length=200)]
    help: str = ""
    required: bool = True  # must be ticked before a decision is proposed


DecisionType = Literal["text", "yen", "number", "month", "date", "choice", "choices", "children"]
_CHOOSING = {"choice", "choices"}
_COUNTING = {"yen", "number"}


class DecisionField(Strict):
    """One thing a decision states (支給額, 支給開始月, 対象児童 …): the drafter enters it, the
    approver approves exactly it, the 決定通知書 prints it (casework/decisions.py).

    Types: `text`; `yen` (whole yen, printed 15,000円); `number`; `month` (stored YYYY-MM,
    printed 令和8年12月); `date`; `choice` (one of `options`); `choices` (some of `options`,
    printed in their order: 2月・4月・…); `children` (which of the children the application
    lists in its group field `group` the decision covers, printed by their names). `suffix`
    follows the printed value (支給開始月: 「分から」); `default` pre-chooses options."""

    id: Identifier
    label: Annotated[str, Field(min_length=1, max_length=100)]
    type: DecisionType
    required: bool = True
    help: str = ""
    options: list[Option] = []
    default: str | list[str] | None = None
    max_length: Annotated[int, Field(ge=1, le=2000)] | None = None
    min_value: int | None = None
    max_value: int | None = None
    group: Identifier | None = None
    suffix: Annotated[str, Field(max_length=20)] = ""

    @model_validator(mode="after")
    def consistent(self):
        """What each type takes, so a file that could not be filled in or printed fails loading."""
        where = f"decision field '{self.id}'"
        values = [o.value for o in self.options]
        if self.type in _CHOOSING:
            if not self.options:
                raise ValueError(f"{where}: a {self.type} field needs options")
            if len(values) != len(set(values)):
                raise ValueError(f"{where}: option values must be unique")
        elif self.options:
            raise ValueError(f"{where}: a {self.type} field takes no options")
        if self.default is not None:
            chosen = [self.default] if isinstance(self.default, str) else self.default
            if self.type not in _CHOOSING:
                raise ValueError(f"{where}: only choice and choices take a default")
            if self.type == "choice" and not isinstance(self.default, str):
                raise ValueError(f"{where}: a choice's default is one option value")
            if any(v not in values for v in chosen):
                raise ValueError(f"{where}: default {chosen} is not among the options {values}")
        if (self.min_value is not None or self.max_value is not None) and self.type not in _COUNTING:
            raise ValueError(f"{where}: min_value and max_value belong to yen and number")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError(f"{where}: min_value is larger than max_value")
        if self.type == "yen" and self.min_value is not None and self.min_value < 0:
            raise ValueError(f"{where}: an amount of yen is not negative")
        if self.max_length is not None and self.type != "text":
            raise ValueError(f"{where}: max_length belongs to text")
        if (self.type == "children") != (self.group is not None):
            raise ValueError(f"{where}: a children field, and only it, names the form's group (group)")
        return self


class DecisionRules(Strict):
    """What a decision on this procedure carries, per outcome. 却下 always carries its reason
    and the 教示 (core/pdf/notice.py); `reject` adds to that. Only an application (kind:
    application) has one: a 届出's decision is 受理 and states nothing (casework/decisions.py)."""

    approve: list[DecisionField] = []
    reject: list[DecisionField] = []

    @model_validator(mode="after")
    def unique_ids(self):
        for outcome in ("approve", "reject"):
            ids = [f.id for f in getattr(self, outcome)]
            if len(ids) != len(set(ids)):
                raise ValueError(f"decision.{outcome}: field ids must be unique")
        return self


class FeePer(Strict):
    """What a line's unit is multiplied by: a number answer (`field`: 通数), or the items of a
    group (`group`), each counting its own number field (`field`) or 1, optionally only the
    items whose sibling answer matches (`when`)."""

    field: Identifier | None = None
    group: Identifier | None = None
    when: Condition | None = None

    @model_validator(mode="after")
    def something_to_count(self):
        if self.field is None and self.group is None:
            raise ValueError("per needs a number field (field) or a group (group)")
        if self.when is not None and self.group is None:
            raise ValueError("per.when tests a group item's answer: name the group")
        return self


class FeeLineRule(Strict):
    """One line of the bill: `unit_yen` once (fixed), per copy or per group item (`per`),
    charged only when an answer matches (`when`, e.g. delivery == mail for postage)."""

    code: Identifier
    label: Annotated[str, Field(min_length=1)]  # what the bill says: never empty
    unit_yen: Yen
    per: FeePer | None = None
    when: Condition | None = None


class FeeExemption(Strict):
    """A waiver when an answer matches (e.g. 公的年金の請求に使う証明書), with its legal reason;
    `lines` names the waived lines (all lines when empty)."""

    label: Annotated[str, Field(min_length=1)]
    legal_reason: Annotated[str, Field(min_length=1)]
    when: Condition
    lines: list[Identifier] = []


class FeeRules(Strict):
    """The `fees:` block. `deferred` (事後決済): true, or a condition on the answers, when the
    department fixes the amount after review; the lines are then shown as a guide only."""

    lines: list[FeeLineRule] = []
    exemptions: list[FeeExemption] = []
    deferred: bool | Condition = False
    deferred_note: str = ""

    @model_validator(mode="after")
    def known_codes(self):
        codes = [line.code for line in self.lines]
        if len(codes) != len(set(codes)):
            raise ValueError("fee line codes must be unique")
        for exemption in self.exemptions:
            unknown = sorted(set(exemption.lines) - set(codes))
            if unknown:
                raise ValueError(f"exemption '{exemption.label}' names unknown lines: {', '.join(unknown)}")
        if not self.lines and self.deferred is False:
            raise ValueError("a fees block needs lines, or deferred")
        return self

    def conditions(self):
        """(where, condition, in_group) of every answer test in the block, for validation."""
        for line in self.lines:
            if line.when is not None:
                yield f"fees.lines.{line.code}.when", line.when, None
            if line.per is not None and line.per.when is not None:
                yield f"fees.lines.{line.code}.per.when", line.per.when, line.per.group
        for exemption in self.exemptions:
            yield f"fees.exemptions.{exemption.label}.when", exemption.when, None
        if isinstance(self.deferred, Condition):
            yield "fees.deferred", self.deferred, None


class PaymentSettings(Strict):
    """How the city takes the fee: the 歳入科目 code its books file it under, and whether the
    department sees a case before it is paid (marked 未納) or only once paid."""

    revenue_code: Annotated[str, Field(max_length=32)] = ""
    unpaid_visible: bool = False


class Kind(StrEnum):
    APPLICATION = "application"  # 申請: needs a decision
    NOTIFICATION = "notification"  # 届出: is accepted


class Channel(StrEnum):
    """Where a resident does the procedure; the navigator groups its answer by this."""

    ONLINE = "online"  # here, on this site
    MYNAPORTAL = "mynaportal"  # on マイナポータル (e.g. 転出届 and 転入予約 of the 引越しワンストップ)
    COUNTER = "counter"  # at the city's counter (the department's window)
    ELSEWHERE = "elsewhere"  # at another office the city does not run (`office`)


# Offices the city does not run (their names in other languages are in the overlays).
OFFICES = (
    "年金事務所", "警察署", "税務署", "法務局", "運輸支局", "ハローワーク",  # ja-only: the values `office:` may take
    "家庭裁判所", "旅券窓口", "勤務先", "健康保険の保険者", "学校",  # ja-only: the values `office:` may take
)

# The label of a plain `fee_yen` fee's one line; translated with the procedure's texts.
FEE_LABEL = "手数料"  # ja-only: content msgid, translated by the catalogue overlays (catalog/i18n.py)

# The categories a procedure may name; their names in other languages are in the overlays.
CATEGORIES = ("子育て", "介護", "証明書", "届出", "引越し", "おくやみ", "国保・年金",  # ja-only: the values `category:` may take
              "税", "被災者支援", "自動車", "福祉", "くらし", "戸籍", "学校", "仕事")  # ja-only: the values `category:` may take

CodeStr = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]


class Procedure(Strict):
    code: CodeStr
    title: str
    summary: str
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    kind: Kind
    channel: Channel = Channel.ONLINE
    department: Identifier | Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")] | None = None
    office: Literal[tuple(OFFICES)] | None = None  # type: ignore[valid-type]
    window: str = ""  # the counter, when it is not the department's usual one
    url: Annotated[str, Field(pattern=r"^https://")] | None = None
    card_required: bool = False
    fee_yen: Yen = 0  # the older form of a plain fixed fee; `fees:` replaces it
    fee_note: str = ""
    fees: FeeRules | None = None
    payment: PaymentSettings = PaymentSettings()
    legal_basis: str
    processing_days: Annotated[int, Field(ge=0)] | None = None
    deadline: str = ""
    deadline_days: Annotated[int, Field(ge=0)] | None = None  # counted from the life event's day
    who_can_apply: str = ""
    documents: list[Document] = []
    keywords: list[str] = []
    forms: list[FormDefinition] = []  # counter procedures may carry their 様式 for the counter
    decision: DecisionRules | None = None  # what its decision states (casework/decisions.py)
    checklist: list[ChecklistItem] = []  # the department's review checklist (casework/work.py)

    # Set on a translated copy (catalog/i18n.py): its Japanese original, its language, and the
    # translated label of a plain fee_yen line.
    _original: "Procedure | None" = PrivateAttr(default=None)
    _language: str = PrivateAttr(default="ja")
    _fee_label: str = PrivateAttr(default=FEE_LABEL)

    @model_validator(mode="after")
    def channel_consistent(self):
        if self.channel == Channel.ELSEWHERE:
            if not self.office:
                raise ValueError("a procedure done elsewhere names its office")
            if self.forms or self.card_required:
                raise ValueError("a procedure done elsewhere has no form here")
        else:
            if self.office:
                raise ValueError("only a procedure done elsewhere names an office")
            if not self.department:
                raise ValueError("a procedure the city handles names its department")
        if self.channel == Channel.ONLINE and not self.forms:
            raise ValueError("an online procedure needs a form")
        if self.channel == Channel.MYNAPORTAL and not self.url:
            raise ValueError("a マイナポータル procedure needs its url")  # ja-only: for the file's reviewer
        return self

    @model_validator(mode="after")
    def fees_fit_the_form(self):
        """Fee rules may only read answers the current form asks, of a type they can count."""
        if self.fees is None:
            return self
        if self.fee_yen:
            raise ValueError("give the fee either as fee_yen or as fees, not both")
        fields = {f.id: f for step in (self.forms[-1].steps if self.forms else []) for f in step.fields}
        for line in self.fees.lines:
            if line.per is not None:
                _check_per(line.code, line.per, fields)
        for where, condition, group in self.fees.conditions():
            scope = fields
            if group is not None:
                scope = {f.id: f for f in fields[group].fields}
            target = scope.get(condition.field)
            if target is None:
                raise ValueError(f"{where}: '{condition.field}' is not a field of the form"
                                 + (f" group '{group}'" if group else ""))
            _check_condition_values(target, condition, where)
        return self

    @model_validator(mode="after")
    def decision_fits(self):
        """A 届出 states nothing (受理); a `children` field reads a group of the current form whose
        items have a name (the notice prints the children by name)."""
        if self.decision is None:
            return self
        if self.kind == Kind.NOTIFICATION:
            raise ValueError("a notification's decision is 受理 and states nothing: remove decision")  # ja-only: for the file's reviewer
        fields = {f.id: f for step in (self.forms[-1].steps if self.forms else []) for f in step.fields}
        for outcome in ("approve", "reject"):
            for field in getattr(self.decision, outcome):
                if field.type != "children":
                    continue
                group = fields.get(field.group)
                where = f"decision.{outcome}.{field.id}"
                if group is None or group.type != FieldType.GROUP:
                    raise ValueError(f"{where}: '{field.group}' is not a group of the form")
                if "name" not in {f.id for f in group.fields}:
                    raise ValueError(f"{where}: the items of group '{field.group}' have no name field")
        return self

    @property
    def fee_rules(self) -> "FeeRules | None":
        """The fee rules in force: `fees:`, or a plain `fee_yen` read as one fixed line."""
        if self.fees is not None:
            return self.fees
        if self.fee_yen:
            return FeeRules(lines=[FeeLineRule(code="fee", label=self._fee_label, unit_yen=self.fee_yen)])
        return None

    @field_validator("forms")
    @classmethod
    def versions_ascending(cls, forms: list[FormDefinition]):
        versions = [f.version for f in forms]
        if versions != sorted(set(versions)):
            raise ValueError("form versions must be unique and ascending")
        return forms

    @property
    def current_form(self) -> FormDefinition:
        if not self.forms:
            raise LookupError(f"{self.code} has no form")
        return self.forms[-1]

    @property
    def online(self) -> bool:
        """Can be started and submitted on this site."""
        return self.channel == Channel.ONLINE

    @property
    def language(self) -> str:
        """The language of this copy's texts (ja for the files themselves)."""
        return self._language

    @property
    def title_en(self) -> str:
        """Deprecated: the English title, "" when untranslated. Take `catalog_for(slug, language=…)`."""
        from madoguchi.catalog.i18n import title_in

        return title_in(self, "en")

    @property
    def title_easy(self) -> str:
        """Deprecated: the やさしい日本語 title, "" when untranslated (as title_en)."""
        from madoguchi.catalog.i18n import title_in

        return title_in(self, "ja-easy")

    def form(self, version: int) -> FormDefinition:
        for form in self.forms:
            if form.version == version:
                return form
        raise KeyError(f"{self.code} has no form version {version}")

    @property
    def needs_decision(self) -> bool:
        return self.kind == Kind.APPLICATION

