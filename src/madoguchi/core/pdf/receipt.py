"""受付票: what the resident keeps after submitting (online or at the counter).

It proves the submission only; the footer says so on every page, because
residents otherwise read a receipt as an approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from .common import (
    CENTER,
    MARGIN,
    Letterhead,
    SpacedText,
    build_pdf,
    gettext_noop,
    letterhead_block,
    needs_fallback,
    para,
    qr_block,
    shown_datetime,
    table,
    to_jst,
)
from .fonts import register_japanese_font

FOOTER = gettext_noop(
    "この受付票は申請を受け付けたことを示すものであり、内容を審査・決定したものではありません。"
)
QR_CAPTION = gettext_noop("申請状況はこちらから確認できます")
FALLBACK_NOTE = gettext_noop("※ 表示できない文字は、標準の字体または「〓」に置き換えて印字しています。")


def yen(amount: int) -> str:
    from django.utils.translation import gettext as _
    return _("%(amount)s円") % {"amount": f"{amount:,}"}


@dataclass(frozen=True)
class FeeRow:
    """One line of the fee as quoted at submit (core sits below the catalogue: plain data)."""

    label: str
    unit_yen: int
    quantity: int
    amount_yen: int
    exempt: bool = False


@dataclass(frozen=True)
class ReceiptData:
    municipality_name: str
    department_name: str
    department_contact: str
    procedure_title: str
    receipt_number: str
    submitted_at: datetime
    status_url: str
    rows: list[tuple[str, str]]
    fee_yen: int = 0  # the total due
    fee_lines: tuple[FeeRow, ...] = ()
    fee_exemptions: tuple[tuple[str, str], ...] = ()  # (label, legal reason)
    fee_deferred_note: str = ""  # 事後決済: 「金額は審査後に決まります」
    fee_status: str = ""  # e.g. お支払い待ち, shown beside the total
    letterhead: Letterhead | None = None  # the city's logo, name and colour; None: the name only


def _fee_section(data: ReceiptData, width: float) -> list:
    """The fee line by line with its total, exemptions and legal reasons, or 「金額は審査後に
    決まります」; nothing when the procedure has no fee."""
    from django.utils.translation import gettext as _
    if not data.fee_lines and not data.fee_deferred_note and not data.fee_exemptions:
        return []
    story: list = [Spacer(0, 6 * mm), para(_("手数料"), 12, spaceAfter=4)]
    if data.fee_lines:
        rows = [[para(_("内容")), para(_("単価")), para(_("数量")), para(_("金額"))]]
        for line in data.fee_lines:
            amount = _("免除 0円") if line.exempt else yen(line.amount_yen)
            rows.append([para(line.label), para(yen(line.unit_yen)), para(str(line.quantity)),
                         para(amount)])
        if not data.fee_deferred_note:
            total = yen(data.fee_yen)
            if data.fee_status:
                total = _("%(total)s（%(status)s）") % {"total": total, "status": data.fee_status}
            rows.append([para(_("合計")), para(""), para(""), para(total)])
        story.append(table(rows, [width - 100 * mm, 30 * mm, 20 * mm, 50 * mm], header=True))
    for label, reason in data.fee_exemptions:
        story.append(para(_("免除: %(label)s（%(reason)s）") % {"label": label, "reason": reason}, 9,
                          spaceBefore=2))
    if data.fee_deferred_note:
        story.append(para(data.fee_deferred_note, 10, spaceBefore=2))
    return story


def render_receipt(data: ReceiptData) -> bytes:
    """Return the 受付票 as A4 PDF bytes, in the active language (the caller's override)."""
    from django.utils.translation import gettext as _
    register_japanese_font()
    width = 210 * mm - 2 * MARGIN
    submitted = to_jst(data.submitted_at)
    info = [
        [_("受付日時"), shown_datetime(submitted, new_line=True)],
        [_("手続名"), data.procedure_title],
        [_("担当課"), data.department_name],
        [_("お問い合わせ"), data.department_contact],
    ]
    if data.fee_yen > 0 and not data.fee_lines:  # a case from before fee lines were kept
        info.append([_("手数料"), yen(data.fee_yen)])
    label_w, qr_w = 28 * mm, 50 * mm
    info_table = table(
        [[para(k), para(v)] for k, v in info], [label_w, width - qr_w - label_w - 4 * mm]
    )
    top = table(
        [[info_table, qr_block(data.status_url, _(QR_CAPTION))]], [width - qr_w, qr_w], grid=False
    )

    answers = [[para(_("項目")), para(_("内容"))]]
    answers += [[para(label), para(value)] for label, value in data.rows]

    head = (letterhead_block(data.letterhead, width) if data.letterhead
            else [para(data.municipality_name, 12, **CENTER)])
    story = [
        *head,
        para(_("受付票"), 22, **CENTER, spaceBefore=4, spaceAfter=10),
        para(_("受付番号（お問い合わせの際にお伝えください）"), 10, **CENTER),
        SpacedText(data.receipt_number, 26, 6),
        Spacer(0, 6 * mm),
        top,
        *_fee_section(data, width),
        Spacer(0, 6 * mm),
        para(_("申請内容（概要）"), 12, spaceAfter=4),
        table(answers, [50 * mm, width - 50 * mm], header=True),
    ]
    texts = [data.procedure_title, data.department_name, data.department_contact]
    if needs_fallback(texts + [s for row in data.rows for s in row]):
        story += [Spacer(0, 3 * mm), para(_(FALLBACK_NOTE), 8)]
    return build_pdf(
        story,
        title=_("受付票 %(number)s") % {"number": data.receipt_number},
        author=data.municipality_name,
        subject=data.procedure_title,
        footer=_(FOOTER),
    )
