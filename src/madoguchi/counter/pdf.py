"""The visit's PDFs: the A4 summary the visitor signs when there is no tablet, the standard
form (様式) of one procedure with the data printed in, for departments on paper, and the
take-away sheet of what is still to do elsewhere (counter/takeaway.py).

The first two print through engine.summary, so the 個人番号 appears masked as on every screen;
the take-away sheet prints no personal data at all (procedures, places, documents, dates).
"""

import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, Spacer

from madoguchi.applications import engine
from madoguchi.core.pdf.common import (
    CENTER,
    MARGIN,
    RIGHT,
    build_pdf,
    para,
    shown_date,
    table,
    wareki_date,
)
from madoguchi.counter.bundle import Entry, for_display
from madoguchi.counter.models import CounterVisit
from madoguchi.counter.protected import hides_address
from madoguchi.counter.takeaway import Takeaway

WIDTH = 210 * mm - 2 * MARGIN
LABEL_WIDTH = 62 * mm
SIGNATURE_HEIGHT = 22 * mm
SIGNATURE_WIDTH = 80 * mm
TAKEAWAY_LABEL_WIDTH = 28 * mm


def _rows(entry: Entry, hide_address: bool = False) -> list:
    form = entry.procedure.form(entry.form.form_version)
    story = []
    for section in engine.summary(form, for_display(form, entry.answers, hide_address)):
        if not section["rows"]:
            continue
        story.append(para(section["title"], 11, spaceBefore=4, spaceAfter=2))
        story.append(table([[para(label, 9), para(value, 9.5)] for label, value in section["rows"]],
                           [LABEL_WIDTH, WIDTH - LABEL_WIDTH]))
    return story


def _signature_box(caption: str, signature: bytes | None = None) -> list:
    """Room to sign by hand, or the visitor's on-screen signature drawn in at its proportions."""
    room = [para("", 10), Spacer(0, SIGNATURE_HEIGHT)]
    if signature:
        drawn = ImageReader(io.BytesIO(signature))
        width, height = drawn.getSize()
        scale = min(SIGNATURE_WIDTH / width, SIGNATURE_HEIGHT / height)
        room = [Image(io.BytesIO(signature), width=width * scale, height=height * scale, hAlign="LEFT")]
    return [Spacer(0, 6 * mm), table([[para(caption, 10), room]], [LABEL_WIDTH, WIDTH - LABEL_WIDTH])]


def render_summary(visit: CounterVisit, entries: list[Entry]) -> bytes:
    """Every form of the visit on A4 with one signature box at the end."""
    city = visit.municipality.name
    today = shown_date(timezone.localdate())
    story = [para(city, 12, **CENTER),
             para(_("申請内容の確認票（署名用）"), 18, **CENTER, spaceBefore=4, spaceAfter=4),
             para(_("%(date)s　窓口受付") % {"date": today}, 10, **RIGHT),
             para(_("以下の内容で届出・申請します。内容に誤りがないことを確認し、署名してください。"), 10.5,
                  spaceBefore=4, spaceAfter=4)]
    hide = hides_address(visit)  # the 確認票 is handed to the visitor: 支援措置 (counter.protected)
    for entry in entries:
        story.append(para(entry.procedure.title, 14, spaceBefore=8, spaceAfter=2))
        story += _rows(entry, hide)
    story += _signature_box(_("署名（届出人・申請者）"))
    if visit.proxy_name:
        story.append(para(_("代理人: %(name)s（本人との関係: %(relationship)s）")
                          % {"name": visit.proxy_name, "relationship": visit.proxy_relationship}, 10,
                          spaceBefore=4))
    return build_pdf(story, title=_("申請内容の確認票"), author=city, subject=_("窓口受付"),
                     footer=_("%(city)s 窓口受付 確認票") % {"city": city})


def render_standard_form(visit: CounterVisit, entry: Entry, signature: bytes | None = None) -> bytes:
    """One procedure's 様式 with the data printed in, for the department that keeps paper; once
    filed, with the visitor's one signature from the tablet."""
    with translation.override("ja"):
        return _standard_form(visit, entry, signature)


def _standard_form(visit: CounterVisit, entry: Entry, signature: bytes | None) -> bytes:
    city = visit.municipality.name
    procedure = entry.procedure
    story = [para(f"{city}長　様", 11),  # ja-only: the 様式 a department files stays Japanese
             para(procedure.title, 18, **CENTER, spaceBefore=4, spaceAfter=2)]
    if procedure.legal_basis:
        story.append(para(f"（{procedure.legal_basis}）", 9, **CENTER, spaceAfter=4))  # ja-only: the 様式
    story.append(para(f"届出日・申請日　{wareki_date(timezone.localdate())}", 10, **RIGHT, spaceAfter=4))  # ja-only: the 様式 a department files stays Japanese
    story += _rows(entry)
    caption = "署名（窓口のタブレットで署名）" if signature else "署名（窓口で確認票に署名済み）"  # ja-only: the 様式 a department files stays Japanese
    story += _signature_box(caption, signature)
    if visit.proxy_name:
        story.append(para(f"代理人: {visit.proxy_name}（本人との関係: {visit.proxy_relationship}）", 10,  # ja-only: the 様式 a department files stays Japanese
                          spaceBefore=4))
    return build_pdf(story, title=procedure.title, author=city, subject=procedure.code,
                     footer=f"{city} {procedure.title}")



def render_takeaway(visit: CounterVisit, sheet: Takeaway) -> bytes:
    """The take-away sheet on A4: per procedure left, where, what to bring and by when. It
    names no one, so a sheet left on the counter tells a stranger nothing about the family. In
    the sheet's language (the visitor's, chosen on the visit): words, dates and fonts."""
    with translation.override(sheet.language):
        return _takeaway(visit, sheet)


def _takeaway(visit: CounterVisit, sheet: Takeaway) -> bytes:
    city = visit.municipality.name
    story = [para(city, 12, **CENTER),
             para(_("これからの手続（ほかの窓口で）"), 18, **CENTER, spaceBefore=4, spaceAfter=4),
             para(_("%(date)s　窓口受付") % {"date": shown_date(timezone.localdate())}, 10, **RIGHT)]
    if sheet.event_title:
        story.append(para(_("できごと: %(event)s（%(day)s）") % {"event": sheet.event_title, "day": sheet.day_label},
                          10.5, spaceBefore=4))
    if not sheet.items:
        story.append(para(_("本日の窓口で、必要な手続はすべて受け付けました。"), 11, spaceBefore=8))
    else:
        story.append(para(_("本日の窓口で受け付けた手続のほかに、次の手続が必要です。期限にご注意ください。"),
                          10.5, spaceBefore=4, spaceAfter=4))
    for number, item in enumerate(sheet.items, start=1):
        rows = [[para(_("場所"), 9), para(item.place or _("市役所にお問い合わせください"), 10)]]
        if item.documents:
            bullet = _("・%(item)s")
            rows.append([para(_("持ち物"), 9), para("\n".join(bullet % {"item": d} for d in item.documents), 10)])
        if item.last_day_in_full:
            rows.append([para(_("期限"), 9), para(item.last_day_in_full, 10)])
        if item.notes:
            rows.append([para(_("ご注意"), 9), para("\n".join(item.notes), 9.5)])
        if item.mynaportal_url:
            rows.append([para(_("オンライン"), 9), para(item.mynaportal_url, 9.5)])
        story.append(para(f"{number}. {item.title}", 13, spaceBefore=8, spaceAfter=2))
        story.append(table(rows, [TAKEAWAY_LABEL_WIDTH, WIDTH - TAKEAWAY_LABEL_WIDTH]))
    return build_pdf(story, title=_("これからの手続"), author=city, subject=_("窓口受付"),
                     footer=_("%(city)s 窓口受付 これからの手続") % {"city": city})
