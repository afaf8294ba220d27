"""ルビ on やさしい日本語 pages: readings from SudachiPy on the text, nothing else touched."""

import re

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from madoguchi.core.i18n import ruby

RUBY_MIDDLEWARE = "madoguchi.core.i18n.ruby.RubyMiddleware"


def readings(html: str) -> dict[str, str]:
    return dict(re.findall(r"<ruby>([^<]+)<rp>\(</rp><rt>([^<]+)</rt><rp>\)</rp></ruby>", html))


def test_a_known_word_gets_its_reading():
    assert readings(ruby.annotate("住所を書いてください。")) == {"住所": "じゅうしょ", "書": "か"}


def test_okurigana_stay_outside_the_ruby():
    out = ruby.annotate("申し込み")
    assert readings(out) == {"申": "もう", "込": "こ"}
    assert re.sub(r"<rp>.*?</rp>|<rt>.*?</rt>|</?ruby>", "", out) == "申し込み"


def test_kana_numbers_and_latin_are_unchanged():
    for text in ("ひらがなとカタカナ", "123-4567", "ABC def", "マイナンバーカード"):
        assert ruby.annotate(text) == text


def test_days_after_a_number_are_read_as_dates():
    assert readings(ruby.annotate("10日まで")) == {"日": "とおか"}
    assert "<ruby>10" not in ruby.annotate("10日まで")  # the number itself has no ruby


SAMPLE = """<!DOCTYPE html><html lang="ja"><head><title>住所</title>
<script>var a = "住所";</script><style>.x::after{content:"住所"}</style></head>
<body class="x"><p title="住所" data-x='氏名'>住所&amp;氏名</p>
<p translate="no">山田<span>太郎</span>の住所</p><p>入力</p>
<textarea name="t">東京</textarea><select><option>東京</option></select>
<ruby>漢<rt>かん</rt></ruby><!-- 住所 --><br/>終わり</body></html>"""


def test_only_text_outside_skipped_elements_changes():
    out = ruby.add_ruby(SAMPLE)
    stripped = re.sub(r"<ruby>([^<]+)<rp>\(</rp><rt>[^<]+</rt><rp>\)</rp></ruby>", r"\1", out)
    assert stripped == SAMPLE  # everything but the added ruby is the source, byte for byte
    assert readings(out) == {"住所": "じゅうしょ", "氏名": "しめい", "入力": "にゅうりょく", "終": "お"}
    for kept in ('<title>住所</title>', 'var a = "住所";', 'title="住所"', "data-x='氏名'",
                 '<p translate="no">山田<span>太郎</span>の住所</p>', "<textarea name=\"t\">東京</textarea>",
                 "<option>東京</option>", "<ruby>漢<rt>かん</rt></ruby>", "<!-- 住所 -->"):
        assert kept in out


def test_running_twice_changes_nothing():
    once = ruby.add_ruby(SAMPLE)
    assert ruby.add_ruby(once) == once


def test_carriage_returns_keep_positions():
    html = "<p>一\r\n<b>二</b>\r三\u2028<i>四</i></p>"
    out = ruby.add_ruby(html)
    assert re.sub(r"<rp>.*?</rp>|<rt>.*?</rt>|</?ruby>", "", out) == html
    assert set(readings(out)) == {"一", "二", "三", "四"}


def _run(language: str, response):
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = language
    return ruby.RubyMiddleware(lambda r: response)(request)


def test_middleware_only_for_easy_japanese_html():
    page = "<p>住所</p>"
    assert b"<ruby>" in _run("ja-easy", HttpResponse(page)).content
    for language in ("ja", "en", "zh-hans"):
        assert _run(language, HttpResponse(page)).content == page.encode()
    json = HttpResponse('{"a": "住所"}', content_type="application/json")
    assert b"<ruby>" not in _run("ja-easy", json).content
    streamed = _run("ja-easy", StreamingHttpResponse(iter([page.encode()])))
    assert b"".join(streamed.streaming_content) == page.encode()


@pytest.fixture
def with_ruby(settings):
    if RUBY_MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, RUBY_MIDDLEWARE]


def test_an_easy_japanese_page_has_ruby_and_others_do_not(client, city, with_ruby):
    easy = client.get("/settings/display/?lang=ja-easy")
    assert easy.status_code == 200
    html = easy.content.decode()
    assert readings(html).get("設定") == "せってい"
    assert '<html lang="ja">' in html
    assert "<title>" in html and "<ruby>" not in html.split("<title>")[1].split("</title>")[0]
    english = client.get("/settings/display/?lang=en").content.decode()
    assert "<ruby>" not in english
    japanese = client.get("/settings/display/?lang=ja").content.decode()
    assert "<ruby>" not in japanese


def test_names_marked_translate_no_are_left_alone(client, city, with_ruby):
    html = client.get("/accessibility/?lang=ja-easy").content.decode()
    assert "<ruby>" in html
    kept = re.search(r'<p translate="no">(.*?)</p>', html, re.S).group(1)
    assert "<ruby>" not in kept and city.name in kept
