"""The procedure override page's form: what was posted, as the override entry it stands for.

Written without Django forms on purpose: the page's rules are the files' rules. What the
administrator typed is turned into one entry of `overrides.yaml`'s `procedures:` (the text of
an amount becomes a number when it reads as one and is passed on as typed otherwise), and the
loader's validator (`loader.check_override`, the schema) is the only judge; its reasons are
shown next to the inputs they concern. A Django form would have added a second set of rules
with other words.

The page changes a fee line's code, label, unit and what it is counted by (once, or per a
number answer of the form), and an exemption's label, legal reason and the lines it waives, or
removes it; a line's or an exemption's condition (`when`) and 事後決済 are kept as the files
state them and shown (a new exemption needs a condition on the form's answers: a file).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from madoguchi.catalog.loader import Problem
from madoguchi.catalog.schema import FeeLineRule, FieldType, Procedure

KEEP = "keep"  # a line's `per:` as the files state it (e.g. per item of a group)
MAX_LINES = 20
ACTION_PATTERN = re.compile(r"^(save|add_line|remove_line:\d{1,2}|remove_exemption:\d{1,2})$")


@dataclass
class LineInput:
    """One fee line as the page shows and posts it (`origin`: the line's code in the files)."""

    index: int
    code: str = ""
    label: str = ""
    unit_yen: str = ""
    per: str = ""
    origin: str = ""
    when: str = ""  # the line's condition, shown as text (kept)
    per_shown: str = ""  # a kept `per:` shown as text
    errors: list[str] = field(default_factory=list)


@dataclass
class ExemptionInput:
    """One exemption as the page shows and posts it (`origin`: its place in the files' list,
    which carries its condition)."""

    index: int
    origin: int
    label: str = ""
    legal_reason: str = ""
    lines: list[str] = field(default_factory=list)  # none: every line is waived
    when: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class OverrideInput:
    window: str = ""
    fee_note: str = ""
    revenue_code: str = ""
    lines: list[LineInput] = field(default_factory=list)
    exemptions: list[ExemptionInput] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)  # input id → messages
    general: list[str] = field(default_factory=list)  # what belongs to no one input

    @property
    def has_errors(self) -> bool:
        return bool(self.general or self.errors or any(line.errors for line in self.lines)
                    or any(e.errors for e in self.exemptions))


def number_fields(procedure: Procedure) -> list[tuple[str, str]]:
    """(id, label) of the current form's number answers a line may be counted by."""
    if not procedure.forms:
        return []
    return [(f.id, f.label) for step in procedure.current_form.steps for f in step.fields
            if f.type == FieldType.NUMBER]


def _condition_text(condition) -> str:
    if condition is None:
        return ""
    if condition.checked is not None:
        return f"{condition.field} = {'checked' if condition.checked else 'unchecked'}"
    if condition.equals is not None:
        return f"{condition.field} = {condition.equals}"
    return f"{condition.field} ∈ {', '.join(condition.in_ or [])}"


def _per_text(line: FeeLineRule) -> str:
    per = line.per
    if per is None:
        return ""
    if per.group is not None:
        text = f"{per.group}[].{per.field}" if per.field else f"{per.group}[]"
        return text + (f" ({_condition_text(per.when)})" if per.when else "")
    return per.field or ""


def _per_choice(line: FeeLineRule) -> str:
    if line.per is None:
        return ""
    if line.per.group is None and line.per.when is None:
        return line.per.field
    return KEEP


def initial(procedure: Procedure) -> OverrideInput:
    """The page's inputs as the procedure stands (Japanese: what is stored)."""
    rules = procedure.fee_rules
    lines = [LineInput(index=i, code=line.code, label=line.label, unit_yen=str(line.unit_yen),
                       per=_per_choice(line), origin=line.code, when=_condition_text(line.when),
                       per_shown=_per_text(line))
             for i, line in enumerate(rules.lines if rules else [])]
    exemptions = [ExemptionInput(index=i, origin=i, label=e.label, legal_reason=e.legal_reason,
                                 lines=list(e.lines), when=_condition_text(e.when))
                  for i, e in enumerate(rules.exemptions if rules else [])]
    return OverrideInput(window=procedure.window, fee_note=procedure.fee_note,
                         revenue_code=procedure.payment.revenue_code, lines=lines, exemptions=exemptions)


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(post, name: str, limit: int = 2000) -> str:
    """A posted text, trimmed, without control characters (no browser types them; PostgreSQL's
    JSON refuses NUL)."""
    value = post.get(name, "")
    return CONTROL.sub("", value).strip()[:limit] if isinstance(value, str) else ""


def _count(post, name: str) -> int:
    try:
        return max(0, min(int(post.get(name, "0")), MAX_LINES))
    except (TypeError, ValueError):
        return 0


def posted(post, procedure: Procedure) -> tuple[OverrideInput, str]:
    """The inputs as posted, and the action (`save`, `add_line`, `remove_line:<n>`; anything
    else reads as `save`). Lines keep what the files say of them through `origin`."""
    originals = {line.code: line for line in (procedure.fee_rules.lines if procedure.fee_rules else [])}
    lines = []
    for i in range(_count(post, "line_count")):
        origin = _text(post, f"line-{i}-origin", 64)
        kept = originals.get(origin)
        lines.append(LineInput(
            index=i, code=_text(post, f"line-{i}-code", 64), label=_text(post, f"line-{i}-label", 200),
            unit_yen=_text(post, f"line-{i}-unit_yen", 32), per=_text(post, f"line-{i}-per", 64),
            origin=origin if kept else "", when=_condition_text(kept.when) if kept else "",
            per_shown=_per_text(kept) if kept else ""))
    kept_exemptions = procedure.fee_rules.exemptions if procedure.fee_rules else []
    exemptions = []
    for i in range(min(_count(post, "exemption_count"), len(kept_exemptions))):
        try:
            origin = int(post.get(f"exemption-{i}-origin", ""))
        except (TypeError, ValueError):
            continue
        if not 0 <= origin < len(kept_exemptions):
            continue
        waived = [code for code in (post.getlist(f"exemption-{i}-lines") if hasattr(post, "getlist") else [])
                  if isinstance(code, str)][:MAX_LINES]
        exemptions.append(ExemptionInput(
            index=len(exemptions), origin=origin, label=_text(post, f"exemption-{i}-label", 200),
            legal_reason=_text(post, f"exemption-{i}-legal_reason", 500),
            lines=[CONTROL.sub("", code)[:64] for code in waived],
            when=_condition_text(kept_exemptions[origin].when)))
    found = OverrideInput(window=_text(post, "window", 500), fee_note=_text(post, "fee_note"),
                          revenue_code=_text(post, "revenue_code", 200), lines=lines,
                          exemptions=exemptions)
    action = post.get("_action", "save")
    return found, action if isinstance(action, str) and ACTION_PATTERN.match(action) else "save"


def add_line(found: OverrideInput) -> None:
    if len(found.lines) >= MAX_LINES:
        found.general.append(_("手数料の行はこれ以上増やせません。"))
        return
    codes = {line.code for line in found.lines}
    number = next(n for n in range(1, MAX_LINES + 2) if f"extra{n}" not in codes)
    found.lines.append(LineInput(index=len(found.lines), code=f"extra{number}"))


def remove_line(found: OverrideInput, action: str) -> None:
    index = int(action.split(":", 1)[1])
    found.lines = [line for line in found.lines if line.index != index]
    for i, line in enumerate(found.lines):
        line.index = i


def remove_exemption(found: OverrideInput, action: str) -> None:
    index = int(action.split(":", 1)[1])
    found.exemptions = [e for e in found.exemptions if e.index != index]
    for i, exemption in enumerate(found.exemptions):
        exemption.index = i


def _amount(text: str):
    """The typed amount as whole yen when it reads as one (全角 digits, 1,000, 300円), else the
    text itself, for the schema to refuse in its own words."""
    plain = unicodedata.normalize("NFKC", text).replace(",", "").removesuffix("円").strip()  # ja-only: the yen mark a clerk may type after an amount
    return int(plain) if re.fullmatch(r"-?\d{1,9}", plain) else text


def values(found: OverrideInput, procedure: Procedure) -> dict:
    """The override entry the inputs stand for: window, fee_note, payment, fees (a whole fee
    block, or None for no fee)."""
    rules = procedure.fee_rules
    originals = {line.code: line for line in (rules.lines if rules else [])}
    lines = []
    for line in found.lines:
        entry = {"code": line.code, "label": line.label, "unit_yen": _amount(line.unit_yen)}
        kept = originals.get(line.origin)
        if line.per == KEEP and kept is not None and kept.per is not None:
            entry["per"] = kept.per.model_dump(mode="json", by_alias=True, exclude_none=True)
        elif line.per and line.per != KEEP:
            entry["per"] = {"field": line.per}
        if kept is not None and kept.when is not None:
            entry["when"] = kept.when.model_dump(mode="json", by_alias=True, exclude_none=True)
        lines.append(entry)
    deferred = rules.deferred if rules is not None else False
    if not lines and deferred is False:
        fees = None
    else:
        fees = {"lines": lines}
        if rules is not None:
            exemptions = []
            for exemption in found.exemptions:
                if 0 <= exemption.origin < len(rules.exemptions):
                    kept = rules.exemptions[exemption.origin]
                    exemptions.append({
                        "label": exemption.label, "legal_reason": exemption.legal_reason,
                        "when": kept.when.model_dump(mode="json", by_alias=True, exclude_none=True),
                        "lines": exemption.lines})
            if exemptions:
                fees["exemptions"] = exemptions
            if rules.deferred is not False:
                fees["deferred"] = (rules.deferred if rules.deferred is True else
                                    rules.deferred.model_dump(mode="json", by_alias=True, exclude_none=True))
            if rules.deferred_note:
                fees["deferred_note"] = rules.deferred_note
    return {"window": found.window, "fee_note": found.fee_note,
            "payment": {"revenue_code": found.revenue_code}, "fees": fees}


def _lead(where: str) -> str:
    """A plain sentence for the kind of input, before the validator's own reason."""
    if where.endswith(".unit_yen"):
        return _("金額は0円以上の整数で書いてください。")
    if where.endswith(".code"):
        return _("行のコードは半角の英小文字で始め、英小文字・数字・_ だけで書いてください。")
    if where.endswith(".legal_reason"):
        return _("免除の根拠（条例の条など）を書いてください。")
    if where.startswith("fees.exemptions") and where.endswith(".label"):
        return _("免除の名前を書いてください。")
    if where.endswith(".label"):
        return _("項目名を書いてください。")
    if where.startswith("payment"):
        return _("歳入科目コードは32文字以内で書いてください。")
    if "fee" in where:
        return _("手数料の行を確認してください。")
    return _("この内容では保存できません。")


def place(found: OverrideInput, problems: list[Problem]) -> None:
    """Put each of the validator's reasons next to the input it concerns."""
    for problem in problems:
        where, message = problem.where, problem.message
        shown = f"{_lead(where or message)} ({message})"
        match = re.match(r"^fees\.lines\.(\d+)\.(code|label|unit_yen|per)", where)
        exemption = re.match(r"^fees\.exemptions\.(\d+)\.", where)
        if match and int(match.group(1)) < len(found.lines):
            found.lines[int(match.group(1))].errors.append(shown)
        elif exemption and int(exemption.group(1)) < len(found.exemptions):
            found.exemptions[int(exemption.group(1))].errors.append(shown)
        elif where.startswith("payment"):
            found.errors.setdefault("revenue_code", []).append(shown)
        elif where in ("window", "fee_note"):
            found.errors.setdefault(where, []).append(shown)
        elif where.startswith("fees") or "fee" in message:
            found.errors.setdefault("fees", []).append(shown)
        else:
            found.general.append(shown)


def example_answers(procedure: Procedure) -> dict:
    """Answers for the page's example: one of everything each line counts, no condition met."""
    answers: dict = {}
    rules = procedure.fee_rules
    for line in rules.lines if rules else []:
        per = line.per
        if per is None:
            continue
        if per.group is None:
            answers[per.field] = 1
            continue
        item = {per.field: 1} if per.field else {}
        if per.when is not None:
            when = per.when
            item[when.field] = (when.equals if when.equals is not None else
                                (when.in_ or [""])[0] if when.in_ is not None else when.checked)
        answers.setdefault(per.group, []).append(item)
    return answers
