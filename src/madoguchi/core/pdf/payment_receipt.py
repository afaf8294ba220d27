"""領収書: the city's receipt of a fee paid (≠ the 受付票, which proves a submission only).

Laid out as municipal 領収書 are: the amount in large figures with 「金…円」, the 但し書き (what
the money was for), 「上記の金額を領収しました」, and the city as 収納者. Under it the detail a
会計課 needs to match it against the provider's report: the 受付番号, the fee lines, how it was
paid, when, and the provider's reference.

A cashless slip from the counter's terminal is *not* a 領収書 (the terminal's own slip is the
receipt, as cities say today); whether a method gets one at all is the city's setting, decided
by the caller. Amounts are integers in yen: a float, a bool or lines that do not add up to the
total are refused rather than printed, since a wrong 領収書 cannot be taken back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from .common import (
    CENTER,
    MARGIN,
    RIGHT,
    Letterhead,
    SpacedText,
    build_pdf,
    gettext_noop,
    letterhead_block,
    needs_fallback,
    para,
    shown_date,
    shown_datetime,
    table,
    to_jst,
)
from .fonts import register_japanese_font

TITLE = gettext_noop("領収書")
ACKNOWLEDGEMENT = gettext_noop("上記の金額を領収しました。")
FOOTER = gettext_noop(
    "この領収書は手数料の納付を証明するものであり、申請の審査・決定を示すものではありません。"
)
FALLBACK_NOTE = gettext_noop("※ 表示できない文字は、標準の字体または「〓」に置き換えて印字しています。")


@dataclass(frozen=True)
class ReceiptLine:
    """One line of the fee as quoted (e.g. 住民票の写し 300円 × 2通)."""

    label: str
    unit_yen: int
    quantity: int
    amount_yen: int


@dataclass(frozen=True)
class PaymentReceiptData:
    municipality_name: str  # the 収納者 (the city), also the PDF's author
    receipt_id: str  # 領収書番号: the payment's own id, what 会計課 looks up
    receipt_number: str  # 受付番号 of the submission the fee is for
    procedure_title: str
    lines: tuple[ReceiptLine, ...]
    total_yen: int
    method_label: str  # クレジットカード, PayPay, 現金 …
    paid_at: datetime
    provider_label: str = ""  # the payment provider (blank for cash at the counter)
    provider_reference: str = ""  # the provider's id of the payment
    note: str = ""  # 但し書き; blank → 「<procedure>の手数料として」
    payer_name: str = ""  # 宛名; blank → none printed
    receiver_title: str = ""  # e.g. デモ市会計管理者; blank → the city's name
    issued_at: datetime | None = None  # blank → the time paid
    lines_note: tuple[str, ...] = field(default_factory=tuple)  # e.g. exemptions applied
    letterhead: Letterhead | None = None  # the city's logo, name and colour at the top


def _yen(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer number of yen, not {value!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative")
    return value


def _validate(data: PaymentReceiptData) -> None:
    total = _yen(data.total_yen, "total_yen")
    if total == 0:
        raise ValueError("a receipt is issued only for an amount received")
    for line in data.lines:
        _yen(line.unit_yen, "unit_yen")
        _yen(line.quantity, "quantity")
        _yen(line.amount_yen, "amount_yen")
    if data.lines and sum(line.amount_yen for line in data.lines) != total:
        raise ValueError("the lines do not add up to the total")
    if not data.receipt_number.strip() or not data.receipt_id.strip():
        raise ValueError("a receipt names the receipt number of the submission and its own number")


def yen(amount: int) -> str:
    from django.utils.translation import gettext as _
    return _("%(amount)s円") % {"amount": f"{amount:,}"}


def _line_text(line: ReceiptLine) -> str:
    if line.quantity > 1 or line.unit_yen != line.amount_yen:
        return f"{yen(line.unit_yen)} × {line.quantity}"
    return ""


def render_payment_receipt(data: PaymentReceiptData) -> bytes:
    """Return the 領収書 as A4 PDF bytes, in the active language (the caller's override)."""
    from django.utils.translation import gettext as _
    _validate(data)
    register_japanese_font()
    width = 210 * mm - 2 * MARGIN
    paid = to_jst(data.paid_at)
    issued = to_jst(data.issued_at or data.paid_at)
    note = data.note.strip() or _("%(title)sの手数料として") % {"title": data.procedure_title}
    receiver = data.receiver_title.strip() or data.municipality_name

    head = [para(_("領収書番号 %(id)s") % {"id": data.receipt_id}, 9, **RIGHT),
            para(_("発行日 %(date)s") % {"date": shown_date(issued.date())}, 9, **RIGHT)]
    top = letterhead_block(data.letterhead, width) if data.letterhead else []
    story = [*top, *head, para(_(TITLE), 24, **CENTER, spaceBefore=4, spaceAfter=8)]
    if data.payer_name.strip():
        story.append(para(_("%(name)s　様") % {"name": data.payer_name}, 13, spaceAfter=4))
    amount_w = 110 * mm
    # Translators: the amount in large figures, as written on a receipt (金 1,000 円).
    amount = table([[SpacedText(_("金 %(amount)s 円") % {"amount": f"{data.total_yen:,}"}, 22, 2)]],
                   [amount_w])
    amount.hAlign = "CENTER"
    story += [
        amount,
        Spacer(0, 3 * mm),
        # Translators: 但し書き, what the money was for ("For: ...").
        para(_("但し　%(note)s") % {"note": note}, 11, **CENTER),
        para(_(ACKNOWLEDGEMENT), 11, **CENTER, spaceBefore=2 * mm, spaceAfter=6 * mm),
    ]

    label_w = 32 * mm
    info = [
        [_("受付番号"), data.receipt_number],
        [_("手続名"), data.procedure_title],
        [_("支払方法"), data.method_label],
        [_("支払日時"), shown_datetime(paid)],
    ]
    if data.provider_label:
        info.append([_("決済事業者"), data.provider_label])
    if data.provider_reference:
        info.append([_("決済番号"), data.provider_reference])
    story.append(table([[para(k), para(v)] for k, v in info], [label_w, width - label_w]))

    if data.lines:
        rows = [[para(_("内訳")), para(_("単価・数量")), para(_("金額"), **RIGHT)]]
        rows += [[para(line.label), para(_line_text(line)), para(yen(line.amount_yen), **RIGHT)]
                 for line in data.lines]
        rows.append([para(_("合計")), para(""), para(yen(data.total_yen), **RIGHT)])
        story += [Spacer(0, 5 * mm), table(rows, [width - 80 * mm, 45 * mm, 35 * mm], header=True)]
    for text in data.lines_note:
        story.append(para(text, 9, spaceBefore=1 * mm))

    story += [
        Spacer(0, 8 * mm),
        para(_("収納者"), 10, **RIGHT),
        para(receiver, 14, **RIGHT),
    ]
    texts = [data.payer_name, data.procedure_title, note, receiver,
             *(line.label for line in data.lines)]
    if needs_fallback(texts):
        story += [Spacer(0, 3 * mm), para(_(FALLBACK_NOTE), 8)]
    return build_pdf(
        story,
        title=_("領収書 %(number)s") % {"number": data.receipt_number},
        author=data.municipality_name,
        subject=f"{data.procedure_title} {yen(data.total_yen)}",
        footer=_(FOOTER),
    )
