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
