"""PDF receipts and decision notices: parse the output with pypdf and check what a reader sees.

No database is needed; run with ``pytest -p no:django`` if the settings cannot load.
"""

import io
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader

from madoguchi.core.pdf import (
    NoticeData,
    ReceiptData,
    common,
    fonts,
    register_japanese_font,
    render_notice,
    render_receipt,
)
from madoguchi.core.pdf.receipt import FOOTER

SRC = str(Path(__file__).resolve().parents[2] / "src")
SUBMITTED = datetime(2025, 4, 1, 5, 5, tzinfo=UTC)  # 14:05 in Tokyo



@pytest.fixture(autouse=True)
def _japanese_unless_said():
    """A PDF is laid out in the active language: these tests read Japanese ones unless they
    choose another (a page request earlier in the same thread may have left its language)."""
    from django.utils import translation

    with translation.override("ja"):
        yield


def make_receipt(**overrides) -> ReceiptData:
    fields = {
        "municipality_name": "デモ市",
        "department_name": "こども家庭課",
        "department_contact": "099-000-0000 / 本庁舎2階 5番窓口",
        "procedure_title": "児童手当 認定請求",
        "receipt_number": "K7M3-9PXR",
        "submitted_at": SUBMITTED,
        "status_url": "https://madoguchi.example.jp/status/K7M3-9PXR",
        "rows": [("氏名", "窓口 太郎"), ("児童の人数", "2人")],
        "fee_yen": 0,
    }
    return ReceiptData(**(fields | overrides))


def make_notice(**overrides) -> NoticeData:
    fields = {
        "municipality_name": "デモ市",
        "mayor_title": "デモ市長",
        "department_name": "こども家庭課",
        "notice_number": "デモ子第12号",
        "procedure_title": "児童手当 認定請求",
        "receipt_number": "K7M3-9PXR",
        "applicant_name": "窓口 太郎",
        "applicant_address": "デモ市本町1丁目2番3号",
        "outcome": "rejected",
        "reason": "所得が所得制限限度額を超えているため。",
        "decided_at": date(2025, 5, 1),
        "approvals": [
            ("起案者", "窓口 花子", datetime(2025, 4, 30, 1, 0, tzinfo=UTC)),
            ("決裁者", "課長 一郎", datetime(2025, 5, 1, 2, 0, tzinfo=UTC)),
        ],
        "legal_basis": "児童手当法第7条",
        "verify_url": "https://madoguchi.example.jp/verify/abc123",
    }
    return NoticeData(**(fields | overrides))


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    """All text, unwrapped (Japanese lines break anywhere); pypdf reads U+3000 as a space."""
    text = "\n".join(page.extract_text() for page in read(pdf).pages)
    return re.sub(r" *\n\s*", "", text).replace("\u3000", " ")


def fonts_of(reader: PdfReader) -> list:
    """Every font dictionary used by any page (descending into Type0 fonts)."""
    found = []
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            found += [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
    return found


def qr_matches(reader: PdfReader, url: str, page: int = 0) -> bool:
    """Whether an embedded image on ``page`` is exactly the QR code of ``url``.

    The image is segno's PNG (4 px per module, 4-module quiet zone), so sampling the
    centre of each module must reproduce segno's matrix.
    """
    matrix = segno.make(url, error="m", micro=False).matrix
    for img in reader.pages[page].images:
        pic = img.image.convert("L")
        if pic.size != ((len(matrix) + 8) * 4,) * 2:
            continue
        seen = [
            [pic.getpixel(((c + 4) * 4 + 2, (r + 4) * 4 + 2)) < 128 for c in range(len(matrix))]
            for r in range(len(matrix))
        ]
        if seen == [[bool(v) for v in row] for row in matrix]:
            return True
    return False


# --- 受付票 -----------------------------------------------------------------------------


def test_receipt_shows_what_the_resident_needs():
    pdf = render_receipt(make_receipt(fee_yen=1200))
    text = text_of(pdf)
    for needle in (
        "受付票",
        "デモ市",
        "K7M3-9PXR",
        "児童手当 認定請求",
        "こども家庭課",
        "099-000-0000 / 本庁舎2階 5番窓口",
        "1,200円",
        "窓口 太郎",
        "申請状況はこちらから確認できます",
        FOOTER,
    ):
        assert needle in text, needle
    # Shown in Japan time, in both 和暦 and 西暦.
    assert "令和7年4月1日 14時05分" in text
    assert "2025年4月1日 14:05" in text


def test_receipt_metadata():
    meta = read(render_receipt(make_receipt())).metadata
    assert meta.title == "受付票 K7M3-9PXR"
    assert meta.author == "デモ市"
    assert meta.subject == "児童手当 認定請求"


def test_receipt_mentions_fee_only_when_charged():
    assert "手数料" not in text_of(render_receipt(make_receipt(fee_yen=0)))
    assert "手数料" in text_of(render_receipt(make_receipt(fee_yen=300)))


def test_long_receipt_paginates_with_page_numbers_and_keeps_every_row():
    rows = [(f"項目{i:03d}", "長い回答の値です。" * (i % 12)) for i in range(120)]
    reader = read(render_receipt(make_receipt(rows=rows)))
    total = len(reader.pages)
    assert total > 1
    texts = [page.extract_text() for page in reader.pages]
    for n, text in enumerate(texts, start=1):
        assert f"{n} / {total}" in text
        assert FOOTER in text
        assert re.search(r"項目\s*内容", text)  # the table header repeats on every page
    joined = "\n".join(texts)
    assert all(f"項目{i:03d}" in joined for i in range(120))


def test_value_taller_than_a_page_is_split_not_an_error():
    text = text_of(render_receipt(make_receipt(rows=[("自由記述", "あ" * 6000 + "終わり")])))
    assert "終わり" in text


def test_receipt_qr_code_encodes_status_url():
    receipt = make_receipt()
    reader = read(render_receipt(receipt))
    assert qr_matches(reader, receipt.status_url)
    assert not qr_matches(reader, "https://madoguchi.example.jp/other")


# --- fonts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "render", [lambda: render_receipt(make_receipt()), lambda: render_notice(make_notice())]
)
def test_every_font_is_embedded_truetype(render):
    used = fonts_of(read(render()))
    assert used
    for font in used:
        assert "/FontDescriptor" in font, f"{font['/BaseFont']} is not embedded"
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font["/BaseFont"]  # embedded TrueType program
        assert descriptor["/FontFile2"].get_object().get_data()


def test_register_japanese_font_is_idempotent():
    assert register_japanese_font() == register_japanese_font() == fonts.FONT_NAME


def test_font_lookup_prefers_setting_and_fails_clearly(tmp_path, monkeypatch):
    assert fonts.find_font_path("").endswith(".ttf")
    fake = tmp_path / "custom.ttf"
    fake.write_bytes(b"")
    assert fonts.find_font_path(str(fake)) == str(fake)
    with pytest.raises(RuntimeError, match="MADOGUCHI_PDF_FONT"):
        fonts.find_font_path(str(tmp_path / "missing.ttf"))
    monkeypatch.setattr(fonts, "_candidates", lambda: [str(tmp_path / "none.ttf")])
    with pytest.raises(RuntimeError, match="MADOGUCHI_PDF_FONT"):
        fonts.find_font_path("")


def test_font_is_found_without_importing_matplotlib_or_django_at_import():
    code = (
        "import sys; from madoguchi.core.pdf import fonts; "
        "assert 'django' not in sys.modules, 'imported Django at module level'; "
        "p = fonts.find_font_path(); fonts.register_japanese_font(); "
        "assert 'matplotlib' not in sys.modules, 'imported matplotlib'; print(p)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = SRC
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().endswith("ipaexg.ttf")


def test_django_setting_is_honoured():
    code = (
        "from django.conf import settings; "
        "settings.configure(MADOGUCHI_PDF_FONT='/nonexistent/font.ttf'); "
        "from madoguchi.core.pdf import fonts; fonts.find_font_path()"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = SRC
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "MADOGUCHI_PDF_FONT points to a missing font file" in out.stderr


# --- glyph coverage -------------------------------------------------------------------


def test_variant_kanji_round_trip_or_fall_back_visibly():
    """IPAexGothic has 髙 (U+9AD9) and 﨑 (U+FA11) but not 𠮷 (U+20BB7).

    A missing glyph would otherwise print as .notdef and extract as U+0000, silently
    losing the character; we print the standard form 吉 instead and add a note.
    """
    name = "髙﨑𠮷太郎"
    text = text_of(render_notice(make_notice(applicant_name=name)))
    assert "\x00" not in text
    assert "髙﨑" in text
    if fonts.has_glyph("𠮷"):
        assert f"{name} 様" in text
    else:
        assert "髙﨑吉太郎 様" in text
        assert "表示できない文字" in text


def test_unknown_missing_glyph_becomes_geta_and_common_names_get_no_note():
    assert not fonts.has_glyph("𪚥")  # U+2A6A5, outside IPAexGothic
    text = text_of(render_receipt(make_receipt(rows=[("氏名", "𪚥野 花子")])))
    assert "〓野 花子" in text and "表示できない文字" in text
    assert "表示できない文字" not in text_of(render_receipt(make_receipt()))


# --- 決定通知書 -------------------------------------------------------------------------


def test_rejection_notice_has_reason_and_kyoji():
    notice = make_notice()
    text = text_of(render_notice(notice))
    for needle in (
        "児童手当 認定請求 却下決定通知書",
        "デモ子第12号",
        "令和7年5月1日",
        "デモ市本町1丁目2番3号",
        "窓口 太郎 様",
        "デモ市長",
        notice.reason,
        "児童手当法第7条",
        "次のとおり決定したので通知します。",
        "教示",
        "審査請求",
        "取消訴訟",
        "3か月以内に、デモ市長に対して審査請求",
        "6か月以内に、デモ市を被告",
        "電子決裁の記録",
        "起案者",
        "窓口 花子",
        "決裁者",
        "課長 一郎",
        "令和7年5月1日 11時00分",
        "この通知書の真正性はQRコードから確認できます",
    ):
        assert needle in text, needle
    assert "受付番号K7M3-9PXRにより申請のあった" in text


def test_approval_notice_has_no_kyoji():
    text = text_of(render_notice(make_notice(outcome="approved", reason="")))
    assert "承認決定通知書" in text
    for absent in ("教示", "審査請求", "取消訴訟", "却下"):
        assert absent not in text, absent


def test_notice_uses_application_date_when_given():
    text = text_of(render_notice(make_notice(applied_on=date(2019, 5, 1))))
    assert "令和元年5月1日付けで申請のあった児童手当 認定請求については" in text


def test_notice_metadata_and_verification_qr():
    notice = make_notice(outcome="approved", reason="")
    reader = read(render_notice(notice))
    assert reader.metadata.author == "デモ市"
    assert reader.metadata.title == "児童手当 認定請求 承認決定通知書"
    assert "デモ子第12号" in reader.metadata.subject
    assert qr_matches(reader, notice.verify_url, page=len(reader.pages) - 1)


def test_rejection_requires_a_reason_and_outcome_is_checked():
    with pytest.raises(ValueError, match="reason"):
        render_notice(make_notice(reason="  "))
    with pytest.raises(ValueError, match="outcome"):
        render_notice(make_notice(outcome="pending"))


def test_many_approvals_paginate():
    approvals = [("決裁者", f"職員{i}", SUBMITTED + timedelta(hours=i)) for i in range(80)]
    reader = read(render_notice(make_notice(approvals=approvals)))
    total = len(reader.pages)
    assert total > 1
    assert f"{total} / {total}" in reader.pages[-1].extract_text()
    assert "職員79" in "\n".join(p.extract_text() for p in reader.pages)


# --- 和暦 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2019, 5, 1), "令和元年"),
        (date(2019, 4, 30), "平成31年"),
        (date(2020, 1, 1), "令和2年"),
        (date(1989, 1, 8), "平成元年"),
        (date(1989, 1, 7), "1989年"),  # before 平成: 西暦 rather than a wrong era
    ],
)
def test_wareki_year(day, expected):
    assert common.wareki_year(day) == expected


def test_a_korean_receipt_has_hangul_that_extracts_back_in_embedded_fonts():
    from django.utils import translation

    from madoguchi.core.pdf import fonts

    assert not fonts.missing_fonts(), "install the PDF fonts: make pdf-fonts"
    with translation.override("ko"):
        pdf = render_receipt(make_receipt(procedure_title="아동수당 인정 청구",
                                          rows=[("신청자 이름", "髙橋 﨑子")]))
    text = text_of(pdf)
    for expected in ("아동수당 인정 청구", "신청자 이름", "髙橋", "﨑子"):
        assert expected in text, expected
    assert "〓" not in text and "令和" not in text
    reader = read(pdf)
    assert reader.trailer["/Root"]["/Lang"] == "ko"
    names = [str(f["/BaseFont"]) for f in fonts_of(reader)]
    assert any("NanumGothic" in name for name in names), names


def test_the_decision_notice_stays_japanese_in_any_language():
    from django.utils import translation

    with translation.override("en"):
        pdf = render_notice(make_notice())
    assert read(pdf).trailer["/Root"]["/Lang"] == "ja-JP"
    assert "令和" in text_of(pdf)


@pytest.mark.parametrize("language, letters", [
    ("vi", "ĂăÂâĐđÊêÔôƠơƯưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"),
    ("pt-br", "ÀÁÂÃÇÉÊÍÓÔÕÚàáâãçéêíóôõú"),
    ("ko", "가나다라마바사아자차카타파하한국어"),
    ("zh-hans", "简体中文这是们发时"),
])
def test_each_languages_font_has_its_letters(language, letters):
    """Checked against the font files with fontTools: nothing of these prints as 〓."""
    from fontTools.ttLib import TTFont as FontFile

    from madoguchi.core.pdf import fonts

    name = fonts.LANGUAGE_FONT[language]
    assert fonts.register_font(name), "install the PDF fonts: make pdf-fonts"
    paths, index = fonts.EXTRA_FONTS[name]
    cmap = FontFile(paths[0], fontNumber=index, lazy=True).getBestCmap()
    assert [ch for ch in letters if ord(ch) not in cmap] == []
