"""決定通知書: the formal notice of an administrative decision on an application.

Rejections must state the reason (行政手続法第8条) and carry the 教示 on how to
contest the decision (行政不服審査法第82条, 行政事件訴訟法第46条); without the
教示 the appeal deadlines are not properly notified.

ja-only file: the notice is a legal document and is issued in Japanese only, whatever the
resident's language (My Page shows a translated explanation beside it); it is laid out in
Japanese even when built during a request in another language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from .common import (
    CENTER,
    MARGIN,
    RIGHT,
    Letterhead,
    build_pdf,
    letterhead_block,
    needs_fallback,
    para,
    qr_block,
    table,
    wareki_date,
    wareki_datetime,
)
from .fonts import register_japanese_font

OUTCOMES = {"approved": "承認", "rejected": "却下"}
QR_CAPTION = "この通知書の真正性はQRコードから確認できます"
FALLBACK_NOTE = "※ 表示できない文字は、標準の字体または「〓」に置き換えて印字しています。"


@dataclass(frozen=True)
class NoticeData:
    municipality_name: str
    mayor_title: str
    department_name: str
    notice_number: str
    procedure_title: str
    receipt_number: str
    applicant_name: str
    applicant_address: str
    outcome: str
    reason: str
    decided_at: date
    approvals: list[tuple[str, str, datetime]]
    legal_basis: str
    verify_url: str
    applied_on: date | None = None  # shown as 「…年…月…日付けで申請のあった」 when known
    letterhead: Letterhead | None = None  # the city's logo and name at the top, ruled in black
    # What the decision states, as printed (支給額（月額） 15,000円, 支給開始月 令和8年12月分から …):
    # (label, text) rows after 決定内容, from the procedure file's `decision:` (casework/decisions.py).
    content: tuple[tuple[str, str], ...] | list[tuple[str, str]] = ()


def kyoji(municipality: str, mayor_title: str) -> list[str]:
    """教示文 for a decision by the mayor (no superior agency, so 審査請求 goes to the mayor)."""
    return [
        f"1　この決定に不服がある場合には、この決定があったことを知った日の翌日から起算して"
        f"3か月以内に、{mayor_title}に対して審査請求をすることができます（なお、この決定が"
        f"あったことを知った日の翌日から起算して3か月以内であっても、この決定の日の翌日から"
        f"起算して1年を経過すると審査請求をすることができなくなります。）。",
        f"2　この決定の取消しを求める訴え（取消訴訟）は、この決定があったことを知った日の"
        f"翌日から起算して6か月以内に、{municipality}を被告として（訴訟において{municipality}"
        f"を代表する者は{mayor_title}となります。）提起することができます（なお、この決定が"
        f"あったことを知った日の翌日から起算して6か月以内であっても、この決定の日の翌日から"
        f"起算して1年を経過すると取消訴訟を提起することができなくなります。）。ただし、上記1"
        f"の審査請求をした場合には、当該審査請求に対する裁決があったことを知った日の翌日から"
        f"起算して6か月以内に、取消訴訟を提起することができます。",
    ]


def _validate(data: NoticeData) -> None:
    if data.outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, not {data.outcome!r}")
    if data.outcome == "rejected" and not data.reason.strip():
        raise ValueError("a rejection notice must state its reason (行政手続法第8条)")


def render_notice(data: NoticeData) -> bytes:
    """Return the 決定通知書 as A4 PDF bytes, in Japanese whatever language is active."""
    from django.utils import translation

    with translation.override("ja"):
        return _render_notice(data)


def _render_notice(data: NoticeData) -> bytes:
    _validate(data)
    register_japanese_font()
    width = 210 * mm - 2 * MARGIN
    verb = OUTCOMES[data.outcome]
    title = f"{data.procedure_title} {verb}決定通知書"
    applied = (
        f"{wareki_date(data.applied_on)}付けで"
        if data.applied_on
        else f"受付番号{data.receipt_number}により"
    )

    items = [["受付番号", data.receipt_number], ["決定内容", f"{verb}します。"]]
    items += [[label, text] for label, text in data.content]
    if data.reason.strip():
        items.append([f"{verb}の理由", data.reason])
    items.append(["根拠法令", data.legal_basis])
    label_w = 30 * mm

    top = letterhead_block(data.letterhead, width, colour=False) if data.letterhead else []
    story = [
        *top,
        para(data.notice_number, **RIGHT),
        para(wareki_date(data.decided_at), **RIGHT),
        Spacer(0, 4 * mm),
        para(data.applicant_address),
        para(f"{data.applicant_name}　様", 13),
        para(data.mayor_title, 12, **RIGHT),
        Spacer(0, 6 * mm),
        para(title, 15, **CENTER, spaceAfter=6 * mm),
        para(
            f"{applied}申請のあった{data.procedure_title}については、次のとおり決定したので"
            "通知します。",
            firstLineIndent=10.5,
        ),
        para("記", **CENTER, spaceBefore=3 * mm, spaceAfter=3 * mm),
        table([[para(k), para(v)] for k, v in items], [label_w, width - label_w]),
    ]
    if data.outcome == "rejected":
        lines = kyoji(data.municipality_name, data.mayor_title)
        story.append(
            KeepTogether(
                [para("教示", 12, spaceBefore=5 * mm, spaceAfter=1 * mm)]
                + [para(t, 9, leftIndent=9, firstLineIndent=-9) for t in lines]
            )
        )
    approvals = [[para("役割"), para("氏名"), para("日時")]]
    approvals += [
        [para(role), para(name), para(wareki_datetime(when))] for role, name, when in data.approvals
    ]
    side = [para(f"担当：{data.department_name}")]
    names = [data.applicant_name, data.applicant_address, data.reason] + [t for _, t in data.content]
    if needs_fallback(names + [name for _, name, _ in data.approvals]):
        side.append(para(FALLBACK_NOTE, 8, spaceBefore=2 * mm))
    qr_w = 70 * mm
    story += [
        para("電子決裁の記録", 12, spaceBefore=5 * mm, spaceAfter=1 * mm),
        table(approvals, [label_w, 60 * mm, width - label_w - 60 * mm], header=True),
        Spacer(0, 4 * mm),
        table(
            [[side, qr_block(data.verify_url, QR_CAPTION, 24 * mm)]],
            [width - qr_w, qr_w],
            grid=False,
        ),
    ]
    return build_pdf(
        story,
        title=title,
        author=data.municipality_name,
        subject=f"{data.notice_number} {data.procedure_title}",
    )
