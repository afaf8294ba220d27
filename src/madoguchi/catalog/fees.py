"""What a procedure costs for given answers: the fee rules of its file applied, line by line.

Pure (no database, no clock): the confirm page, the submission, the counter's bundle and the
API all ask `quote(procedure, answers)` and get the same lines. Money is whole yen (`int`)
everywhere; a float never enters (the schema refuses one in a file).

The rules themselves (`fees:` in a procedure file) are described in catalog/schema.py and in
docs/catalogue.md. A file that still says `fee_yen: 300` is read as one fixed line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils.translation import gettext, gettext_noop

from madoguchi.catalog.i18n import japanese, language_of, text_in
from madoguchi.catalog.schema import FEE_LABEL, Condition, FeeLineRule, Procedure
from madoguchi.core import i18n
from madoguchi.core.i18n.content import Fallback

# Stored in Japanese with the quote; shown translated (FeeQuote.localized).
DEFERRED_NOTE = gettext_noop("金額は審査後に決まります")


@dataclass(frozen=True)
class FeeLine:
    """One line of the bill: `quantity` × `unit_yen` = `amount_yen` (0 when exempted)."""

    code: str
    label: str
    unit_yen: int
    quantity: int
    amount_yen: int
    exempt: bool = False  # waived by one of the quote's exemptions (shown, charged 0)


@dataclass(frozen=True)
class FeeQuote:
    """The fee for one set of answers. `total_yen` is what is due now: 0 when nothing is
    charged or when the amount is fixed after review (`deferred`)."""

    lines: tuple[FeeLine, ...] = ()
    exemptions: tuple[tuple[str, str], ...] = ()  # (label, legal_reason) of those that applied
    total_yen: int = 0
    deferred: bool = False
    deferred_note: str = ""
    revenue_code: str = ""

    @property
    def due(self) -> bool:
        """Something must be paid now (online: the submission waits for it)."""
        return self.total_yen > 0 and not self.deferred

    @property
    def empty(self) -> bool:
        """No fee at all: nothing to show."""
        return not self.lines and not self.deferred and not self.exemptions

    def as_json(self) -> dict:
        """The quote as stored on the submission (Submission.fee_lines) and sent by the API."""
        return {
            "lines": [{"code": x.code, "label": x.label, "unit_yen": x.unit_yen,
                       "quantity": x.quantity, "amount_yen": x.amount_yen, "exempt": x.exempt}
                      for x in self.lines],
            "exemptions": [{"label": label, "legal_reason": reason}
                           for label, reason in self.exemptions],
            "total_yen": self.total_yen,
            "deferred": self.deferred,
            "deferred_note": self.deferred_note,
            "revenue_code": self.revenue_code,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> FeeQuote:
        """Read back `as_json()`; an empty dict (a submission from before fees) is no fee."""
        data = data or {}
        return cls(
            lines=tuple(FeeLine(code=str(x["code"]), label=str(x["label"]),
                                unit_yen=int(x["unit_yen"]), quantity=int(x["quantity"]),
                                amount_yen=int(x["amount_yen"]), exempt=bool(x.get("exempt", False)))
                        for x in data.get("lines", [])),
            exemptions=tuple((str(x["label"]), str(x["legal_reason"]))
                             for x in data.get("exemptions", [])),
            total_yen=int(data.get("total_yen", 0)),
            deferred=bool(data.get("deferred", False)),
            deferred_note=str(data.get("deferred_note", "")),
            revenue_code=str(data.get("revenue_code", "")),
        )

    @classmethod
    def fixed(cls, amount_yen: int, label: str = FEE_LABEL, code: str = "fee",
              revenue_code: str = "") -> FeeQuote:
        """One fixed line, e.g. the amount a department fixes after review (事後決済)."""
        if not isinstance(amount_yen, int) or isinstance(amount_yen, bool) or amount_yen < 0:
            raise ValueError("amount_yen must be a whole number of yen, 0 or more")
        line = FeeLine(code=code, label=label, unit_yen=amount_yen, quantity=1, amount_yen=amount_yen)
        return cls(lines=(line,), total_yen=amount_yen, revenue_code=revenue_code)


    def localized(self, procedure: Procedure, language: str | None = None) -> FeeQuote:
        """The quote with its labels in `language` (the active one by default) for a page:
        the procedure's overlays, then the pages' own strings; a Fallback when neither has
        it. Amounts and codes are the same; what is stored stays the Japanese quote."""
        language = language_of(language)
        if language == i18n.DEFAULT:
            return self

        def shown(text: str) -> str:
            if not text:
                return text
            found = text_in(procedure, text, language)
            if isinstance(found, Fallback) and gettext(text) != text:
                return gettext(text)
            return found

        return replace(
            self, lines=tuple(replace(x, label=shown(x.label)) for x in self.lines),
            exemptions=tuple((shown(label), shown(reason)) for label, reason in self.exemptions),
            deferred_note=shown(self.deferred_note))


def quote(procedure: Procedure, answers: dict) -> FeeQuote:
    """Apply the procedure's fee rules to the answers (as stored: hidden fields absent).
    The quote is in Japanese whatever the language of `procedure` (it is stored with the
    submission and read by the department): `.localized(procedure)` shows it translated."""
    procedure = japanese(procedure)
    rules = procedure.fee_rules
    revenue_code = procedure.payment.revenue_code
    if rules is None:
        return FeeQuote(revenue_code=revenue_code)
    applied = [e for e in rules.exemptions if _holds(e.when, answers)]
    waived_all = any(not e.lines for e in applied)
    waived = {code for e in applied for code in e.lines}
    lines = []
    for rule in rules.lines:
        if rule.when is not None and not _holds(rule.when, answers):
            continue
        quantity = _quantity(rule, answers)
        if quantity <= 0:
            continue
        exempt = waived_all or rule.code in waived
        lines.append(FeeLine(code=rule.code, label=rule.label, unit_yen=rule.unit_yen,
                             quantity=quantity, amount_yen=0 if exempt else rule.unit_yen * quantity,
                             exempt=exempt))
    deferred = rules.deferred is True or (
        rules.deferred is not False and _holds(rules.deferred, answers))
    total = 0 if deferred else sum(line.amount_yen for line in lines)
    return FeeQuote(
        lines=tuple(lines), exemptions=tuple((e.label, e.legal_reason) for e in applied),
        total_yen=total, deferred=deferred,
        deferred_note=(rules.deferred_note or DEFERRED_NOTE) if deferred else "",
        revenue_code=revenue_code,
    )


def _quantity(rule: FeeLineRule, answers: dict) -> int:
    """How many times the line's unit is charged: once (fixed), a number answer (per copy),
    or summed over a group's items (per item, each counting its own number field or 1)."""
    per = rule.per
    if per is None:
        return 1
    if per.group is None:
        return _count(answers.get(per.field))
    items = answers.get(per.group)
    if not isinstance(items, list):
        return 0
    total = 0
    for item in items:
        if not isinstance(item, dict) or (per.when is not None and not _holds(per.when, item)):
            continue
        total += _count(item.get(per.field)) if per.field else 1
    return total


def _count(value) -> int:
    """A number answer as a count; anything else (absent, hidden, malformed) counts 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def _holds(condition: Condition, answers: dict) -> bool:
    """The same test as a field's `show_if` (engine.condition_holds), on plain answers."""
    value = answers.get(condition.field)
    if condition.checked is not None:
        return bool(value) is condition.checked
    if condition.equals is not None:
        if isinstance(value, list):  # a checkbox with options: the option is ticked
            return condition.equals in value
        return value == condition.equals
    return value in (condition.in_ or [])
