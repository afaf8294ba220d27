"""The 領収書 PDF: read back with pypdf, as a resident's viewer or 会計課 would read it."""

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from madoguchi.core.pdf.payment_receipt import (
    ACKNOWLEDGEMENT,
    FOOTER,
    PaymentReceiptData,
    ReceiptLine,
    render_payment_receipt,
)

PAID = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)  # 09:30 on 1 April in Tokyo



@pytest.fixture(autouse=True)
def _japanese_unless_said():
    """A PDF is laid out in the active language: these tests read Japanese ones unless they
    choose another (a page request earlier in the same thread may have left its language)."""
    from django.utils import translation

    with translation.override("ja"):
        yield


def make(**overrides) -> PaymentReceiptData:
    fields = {
        "municipality_name": "デモ市",
        "receipt_id": "PAY-7Q2K",
        "receipt_number": "K7M3-9PXR",
        "procedure_title": "住民票の写しの交付請求",
        "lines": (ReceiptLine("住民票の写し", 300, 2, 600), ReceiptLine("郵送料", 110, 1, 110)),
        "total_yen": 710,
        "method_label": "クレジットカード",
        "paid_at": PAID,
        "provider_label": "Stripe",
        "provider_reference": "cs_test_a1B2c3",
    }
    return PaymentReceiptData(**(fields | overrides))


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r" *\n\s*", "", text).replace("\u3000", " ")


def test_receipt_carries_what_the_city_and_the_resident_need():
    text = text_of(render_payment_receipt(make()))
    assert "領収書" in text
    for expected in ("K7M3-9PXR", "PAY-7Q2K", "住民票の写しの交付請求", "710", "クレジットカード",
                     "Stripe", "cs_test_a1B2c3", "住民票の写し", "300円 × 2", "600円", "郵送料",
                     "110円", "合計", "収納者", "デモ市", ACKNOWLEDGEMENT,
                     "但し 住民票の写しの交付請求の手数料として"):
        assert expected in text, expected
    assert "令和8年4月1日 9時30分" in text  # paid at, in Japan's time
    assert FOOTER in text


def test_amount_reads_as_kin_yen_and_metadata_names_the_city():
    pdf = render_payment_receipt(make())
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "領収書 K7M3-9PXR"
    assert reader.metadata.author == "デモ市"
    assert "領収書金 710 円但し" in text_of(pdf)  # the amount right under the title


def test_payer_note_and_receiver_title_when_given():
    text = text_of(render_payment_receipt(make(payer_name="窓口 花子", note="戸籍謄本 3ページ分として",
                                               receiver_title="デモ市会計管理者")))
    assert "窓口 花子 様" in text
    assert "但し 戸籍謄本 3ページ分として" in text
    assert "デモ市会計管理者" in text


def test_cash_without_provider_leaves_those_rows_out():
    text = text_of(render_payment_receipt(make(method_label="現金", provider_label="",
                                               provider_reference="")))
    assert "現金" in text
    assert "決済事業者" not in text and "決済番号" not in text


@pytest.mark.parametrize("changes", [
    {"total_yen": 700},  # the lines say 710
    {"total_yen": 710.0},
    {"total_yen": True},
    {"total_yen": 0, "lines": ()},
    {"lines": (ReceiptLine("住民票の写し", 300, 2, -600),), "total_yen": -600},
    {"receipt_number": " "},
])
def test_wrong_amounts_are_refused_not_printed(changes):
    with pytest.raises(ValueError):
        render_payment_receipt(make(**changes))


def test_variant_name_falls_back_visibly():
    text = text_of(render_payment_receipt(make(payer_name="𪚥田 太郎")))
    assert "〓田 太郎 様" in text
    assert "表示できない文字" in text


def test_the_japanese_font_is_embedded():
    reader = PdfReader(io.BytesIO(render_payment_receipt(make())))
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts += [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
    assert fonts
    for font in fonts:
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]


def _embedded_fonts(pdf: bytes) -> set[str]:
    """BaseFont names of the fonts embedded in the PDF (a subset carries a FontFile2)."""
    found = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor.get_object():
                    found.add(str(font["/BaseFont"]))
    return found


@pytest.fixture
def other_language_fonts():
    from madoguchi.core.pdf import fonts

    missing = fonts.missing_fonts()
    assert not missing, f"install the PDF fonts (make pdf-fonts): {missing}"


def test_a_korean_receipt_is_set_in_a_korean_font_and_reads_back(other_language_fonts):
    from django.utils import translation

    with translation.override("ko"):
        pdf = render_payment_receipt(make(procedure_title="주민등록표 등본 발급 신청",
                                          method_label="신용카드", payer_name="김민준"))
    text = text_of(pdf)
    for expected in ("주민등록표 등본 발급 신청", "신용카드", "김민준", "K7M3-9PXR"):
        assert expected in text, expected
    assert "〓" not in text
    assert any("NanumGothic" in name for name in _embedded_fonts(pdf))
    assert "令和" not in text  # the era calendar is for Japanese only
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "ko"


def test_a_vietnamese_receipt_keeps_a_japanese_name_printable(other_language_fonts):
    from django.utils import translation

    with translation.override("vi"):
        pdf = render_payment_receipt(make(procedure_title="Cấp bản sao phiếu cư trú",
                                          payer_name="髙橋 﨑子 (Nguyễn Thị Hạnh)"))
    text = text_of(pdf)
    for expected in ("Cấp bản sao phiếu cư trú", "Nguyễn Thị Hạnh", "髙橋", "﨑子"):
        assert expected in text, expected
    assert "〓" not in text
    embedded = _embedded_fonts(pdf)
    assert any("NotoSans" in name for name in embedded)
    assert any("IPA" in name for name in embedded)  # the Japanese run


def test_a_chinese_receipt_prints_simplified_characters(other_language_fonts):
    from django.utils import translation

    with translation.override("zh-hans"):
        pdf = render_payment_receipt(make(procedure_title="住民票副本的发放申请", method_label="信用卡"))
    text = text_of(pdf)
    assert "住民票副本的发放申请" in text and "信用卡" in text and "〓" not in text
    assert any("WenQuanYi" in name for name in _embedded_fonts(pdf))
