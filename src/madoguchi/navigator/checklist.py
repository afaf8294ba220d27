"""The printable checklist: every procedure with a tick box, its place, what to bring and the
deadline, and the QR code the counter reads to load the same answers."""

from django.utils.translation import pgettext
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from madoguchi.core.pdf.common import CENTER, MARGIN, build_pdf, para, qr_block, table
from madoguchi.navigator.services import Result
from madoguchi.navigator.texts import texts

BOX = "□"


def _deadline(item, t) -> str:
    parts = [p for p in (item.deadline_label, item.deadline_text) if p]
    return "\n".join(parts) or t["no_deadline"]


def render_checklist(result: Result, municipality_name: str, counter_url: str) -> bytes:
    """A4 PDF bytes in the plan's language."""
    t = texts(result.lang)
    # Translators: one thing to bring, in the checklist's list
    bullet = pgettext("checklist", "・%(item)s")
    width = 210 * mm - 2 * MARGIN
    widths = [12 * mm, 50 * mm, 36 * mm, 38 * mm]
    widths.append(width - sum(widths))
    rows = [[para(t["pdf_done"], 9), para(t["pdf_procedure"], 9), para(t["place"], 9),
             para(t["bring"], 9), para(t["deadline"], 9)]]
    for item in result.items:
        title = "\n".join([item.title, *(f"※ {note}" for note in item.notes)])
        rows.append([para(BOX, 14, **CENTER), para(title, 9), para(item.place, 9),
                     para("\n".join(bullet % {"item": d} for d in item.documents), 8.5),
                     para(_deadline(item, t), 8.5)])
    story = [
        para(municipality_name, 12, **CENTER),
        para(t["pdf_title"], 20, **CENTER, spaceBefore=4, spaceAfter=6),
        para(t["pdf_intro"] % {"event": result.title, "day": result.day_label}, 11, **CENTER),
        Spacer(0, 5 * mm),
    ]
    if result.items:
        story.append(table(rows, widths, header=True))
    else:
        story.append(para(t["result_none"]))
    story += [Spacer(0, 6 * mm), *qr_block(counter_url, t["pdf_qr"])]
    return build_pdf(story, title=f"{t['pdf_title']} {result.title}", author=municipality_name,
                     subject=result.title, footer=t["pdf_footer"])
