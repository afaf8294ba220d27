"""The take-away sheet: what the 山田 family's 転入 still needs elsewhere once the counter has
filed its forms, from the same navigator result, on the tablet's thanks screen and as a PDF."""

import io

import pytest
import test_counter_services as shared
from django.utils import timezone
from pypdf import PdfReader

from madoguchi.counter import bundle, pdf, services, takeaway
from madoguchi.counter.models import VisitStatus
from madoguchi.navigator import services as navigator
from madoguchi.navigator.models import NavigatorPlan

clerk, actor, family, visit = shared.clerk, shared.actor, shared.family, shared.visit

WITH_LICENCE = {**shared.MOVING_IN, "licence": ["yes"]}
ELSEWHERE = {"school-transfer", "driving-licence-change", "mynumber-card-address-change"}


def _moving_in(visit, actor, family, answers=WITH_LICENCE):
    services.choose(visit, actor, family["head"].pk)
    plan = services.start_event(visit, "moving")
    shared._answer_all(plan, answers, timezone.localdate())
    visit.refresh_from_db()
    return bundle.build(visit, actor)


def _filed(visit, actor, family):
    _moving_in(visit, actor, family)
    shared._fill_every_blank(visit, actor)
    services.confirm(visit, actor)
    services.sign(visit, actor, shared.PNG)
    services.file_visit(visit, actor)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED
    return visit


def test_the_sheet_lists_what_the_answers_call_for_and_the_counter_did_not_file(visit, actor, family):
    entries = _moving_in(visit, actor, family)
    filed = {e.procedure.code for e in entries}
    sheet = takeaway.takeaway_for(visit)
    codes = [item.code for item in sheet.items]
    assert set(codes) >= ELSEWHERE
    assert not filed & set(codes)
    # Every procedure the navigator lists is either filed here or on the sheet, none twice.
    everything = {i.code for i in navigator.result_for(visit.plan, visit.municipality).items}
    assert everything == filed | set(codes) and len(codes) == len(set(codes))
    by_code = {item.code: item for item in sheet.items}
    school, licence, card = (by_code[c] for c in ("school-transfer", "driving-licence-change",
                                                  "mynumber-card-address-change"))
    assert "学校教育課" in school.place and "在学証明書" in school.documents
    assert licence.place == "警察署" and "運転免許証" in licence.documents
    assert "市民課" in card.place
    assert all(item.last_day for item in (school, licence, card))
    # The screen has room for the first sentence; the printed sheet keeps the card's 90 days.
    assert card.last_day.endswith("。") and "90日" not in card.last_day and "90日" in card.last_day_in_full
    # A last day counted from the move reads as its date, on the screen and on paper alike.
    dated = takeaway.Leftover(navigator.Item(code="x", title="x", group="counter", procedure=None,
                                             deadline=timezone.localdate(), deadline_label="12月18日まで",
                                             deadline_text="14日以内。過料があります。"))
    assert dated.last_day == dated.last_day_in_full == "12月18日まで"
    assert sheet.event_title and sheet.day_label


def test_without_a_licence_the_police_is_not_on_the_sheet(visit, actor, family):
    _moving_in(visit, actor, family, answers=shared.MOVING_IN)
    assert "driving-licence-change" not in {i.code for i in takeaway.takeaway_for(visit).items}


def test_a_visit_whose_plan_was_disposed_of_reads_its_own_copy_of_the_answers(visit, actor, family):
    _moving_in(visit, actor, family)
    before = [i.code for i in takeaway.takeaway_for(visit).items]
    NavigatorPlan.objects.filter(pk=visit.plan_id).delete()
    visit.refresh_from_db()
    assert visit.plan is None
    assert [i.code for i in takeaway.takeaway_for(visit).items] == before


def test_the_resident_s_english_plan_stays_english_while_the_sheet_is_japanese(visit, actor, family):
    _moving_in(visit, actor, family)
    NavigatorPlan.objects.filter(pk=visit.plan_id).update(lang="en")
    visit.refresh_from_db()
    sheet = takeaway.takeaway_for(visit)
    easy = takeaway.takeaway_for(visit, lang="easy")
    school = next(i for i in sheet.items if i.code == "school-transfer")
    school_easy = next(i for i in easy.items if i.code == "school-transfer")
    assert school.title == school.procedure.title and easy.language == "ja-easy" and sheet.language == "ja"
    # やさしい日本語 from its overlay, or the Japanese title while the overlay lacks one
    assert school_easy.title in (school.procedure.title_easy, school.procedure.title)
    visit.plan.refresh_from_db()
    assert visit.plan.lang == "en"


def test_a_visit_without_an_event_has_an_empty_sheet(visit):
    sheet = takeaway.takeaway_for(visit)
    assert not sheet and sheet.items == []


def _fonts(reader: PdfReader) -> list:
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts += [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
    return fonts


def test_the_pdf_prints_place_documents_and_last_day_in_an_embedded_japanese_font(visit, actor, family):
    _filed(visit, actor, family)
    sheet = takeaway.takeaway_for(visit)
    data = pdf.render_takeaway(visit, sheet)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(p.extract_text() for p in reader.pages).replace(" ", "").replace("\n", "")
    assert "これからの手続" in text
    for item in sheet.items:
        assert item.title.replace(" ", "") in text
        assert item.place.replace(" ", "") in text
        assert item.last_day_in_full.replace(" ", "") in text
    assert "在学証明書" in text and "警察署" in text
    for filed in ("国民健康保険の加入届", "犬の登録事項変更届"):  # filed here: not on the sheet
        assert filed not in text
    assert "山田" not in text  # the sheet names no one
    fonts = _fonts(reader)
    assert fonts
    for font in fonts:
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]


def test_a_pdf_with_nothing_left_says_so(visit, actor, family):
    _filed(visit, actor, family)
    data = pdf.render_takeaway(visit, takeaway.Takeaway(event_title="", day_label=""))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace(" ", "")
    assert "すべて受け付けました" in text


@pytest.mark.parametrize("lang", ["ja", "easy", "en", "xx"])
def test_any_language_asked_reads_as_one_the_sheet_prints(visit, actor, family, lang):
    _moving_in(visit, actor, family)
    assert {i.code for i in takeaway.takeaway_for(visit, lang=lang).items} >= ELSEWHERE
