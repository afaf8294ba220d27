"""The 児童手当 認定請求 from the catalogue to the receipt on a phone, in each of the seven
languages, and the language kept from 手続ナビ into the form, My Page and the account.

The resident chooses the language with the switch on the page (a plain link, data-lang), finds
the procedure by its address (not its title, which is translated), logs in with the e-mail code
and fills every step by the fields' ids (from the form definition), so nothing here depends on
wording. At every page: the `<html lang>` of the language, the switch marking it as current,
axe-core and no sideways scroll at 320 px; on a page in a language other than Japanese, nothing
Japanese is left unmarked (a gettext message without its translation is shown silently in
Japanese) and nothing of the procedure is a fallback (content shown in Japanese, lang="ja").

Each language's run is one flow with no extra page visits: the CI budget counts them.
MADOGUCHI_SCREENSHOTS=1 also saves the catalogue in Vietnamese for README.md.
"""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from madoguchi.catalog.selectors import get_procedure
from madoguchi.core import i18n
from madoguchi.core.i18n.content import Fallback
from madoguchi.identity.models import ResidentAccount

from .helpers import check_phone_page, login_code_for
from support import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLAIM = "child-allowance-claim"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

# The seven languages of settings.LANGUAGES, each with the `lang` its pages carry.
LANGUAGES = [(code, i18n.html_lang(code)) for code in
             ("ja", "ja-easy", "en", "zh-hans", "ko", "vi", "pt-br")]

# Japanese a page in another language must not show unmarked: kana everywhere; kanji too,
# except in Chinese, whose own characters they are. A translation may keep a Japanese name in
# brackets beside its own words ("Child allowance (児童手当)"), and a date hint shows the 和暦 a
# resident may type ("e.g. 2024-04-01, 令和6年4月1日"): a text is left untranslated when Japanese
# remains outside brackets and era dates, or when nothing in it is in the language's own script.
KANA = "\u3041-\u3096\u30a1-\u30fa\u30fc"
KANJI = "\u3400-\u4dbf\u4e00-\u9fff"
LATIN = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
SCRIPTS = {"en": (KANA + KANJI, LATIN), "vi": (KANA + KANJI, LATIN), "pt-br": (KANA + KANJI, LATIN),
           "ko": (KANA + KANJI, "\uac00-\ud7af"), "zh-hans": (KANA, KANJI)}

# What is on a page, inside <main>, that is Japanese: text outside elements marked lang="ja" or
# translate="no" (a message without its translation), and elements marked lang="ja" that are
# not kept in Japanese on purpose (data-ja-only): content fallbacks. Returned as short snippets.
_JAPANESE_LEFT = """([japaneseChars, ownChars]) => {
    const japanese = new RegExp(`[${japaneseChars}]`), own = new RegExp(`[${ownChars}]`);
    const bracketed = /（[^（）]*）|\\([^()]*\\)|「[^「」]*」|『[^『』]*』/g;
    const eraDate = /(令和|平成|昭和)\\d+年\\d+月\\d+日/g;  // an input format shown as an example
    const untranslated = (text) => {
        if (!japanese.test(text)) return false;
        const outside = text.replace(bracketed, ' ').replace(eraDate, ' ');
        return japanese.test(outside) || !own.test(outside);
    };
    const main = document.querySelector('main');
    const name = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`;
    const unmarked = [];
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue.trim();
        const parent = node.parentElement;
        if (!untranslated(text) || parent.closest('[translate="no"], script, style, rt, rp')) continue;
        const marked = parent.closest('[lang]');
        if (marked && marked !== document.documentElement
                && marked.getAttribute('lang').toLowerCase().startsWith('ja')) continue;
        unmarked.push(`${name(parent)}: ${text.slice(0, 60)}`);
    }
    const fallbacks = [...main.querySelectorAll('[lang^="ja"]')]
        .filter(el => !el.closest('[translate="no"], [data-ja-only]'))
        .map(el => `${name(el)}: ${el.textContent.trim().slice(0, 60)}`);
    return {unmarked, fallbacks};
}"""


class Visit:
    """The checks every page of one resident's way gets, in one language."""

    def __init__(self, page: Page, code: str, tag: str):
        self.page, self.code, self.tag = page, code, tag

    def __call__(self, page: Page | None = None, *, others: bool = False) -> None:
        """`others`: the page lists other procedures or events (the catalogue, 手続ナビ, My
        Page), whose texts may still be fallbacks: marked lang="ja", listed by `madoguchi check`.
        """
        page = page or self.page
        expect(page.locator("html")).to_have_attribute("lang", self.tag)
        expect(page.locator('#language-switch a[aria-current="true"]')).to_have_attribute(
            "data-lang", self.code)
        check_phone_page(page)
        if not i18n.is_japanese(self.code):
            left = page.evaluate(_JAPANESE_LEFT, list(SCRIPTS[self.code]))
            assert not left["unmarked"], (
                f"{page.url} in {self.code} shows Japanese with no translation (gettext): "
                f"{left['unmarked']}")
            assert others or not left["fallbacks"], (
                f"{page.url} in {self.code} shows content in Japanese for want of a translation "
                f"(overlay .po): {left['fallbacks']}")


def choose_language(page: Page, code: str) -> None:
    """With the switch in the header: open it, follow the language's link."""
    page.locator("#language-switch > summary").click()
    page.locator(f'#language-switch a[data-lang="{code}"]').click()
    expect(page.locator('#language-switch a[aria-current="true"]')).to_have_attribute("data-lang", code)


def log_in(page: Page, email: str, visit: Visit) -> None:
    """The e-mail code way, by the fields' ids: the address, then the code from the mail."""
    expect(page.locator("#send-code")).to_be_visible()
    visit()
    page.locator("#email").fill(email)
    page.locator("#send-code").click()
    expect(page.locator("#login-with-code")).to_be_visible()
    visit()
    page.locator("#code").fill(login_code_for(email))
    page.locator("#login-with-code").click()
    expect(page.locator("main .messages")).to_be_visible()


def next_step(page: Page, visit: Visit, step: int) -> None:
    """「次へ進む」, then the step numbered `step` (the progress says which)."""
    page.locator('button[name="_action"][value="next"]').click()
    expect(page.locator("nav.progress [data-step]")).to_have_attribute("data-step", str(step))
    visit()


def fill_claim(page: Page, visit: Visit) -> None:
    """Every step of 児童手当 認定請求, by the ids the form definition gives its fields."""
    page.locator("#claimant_name").fill("髙橋 花子")
    page.locator("#claimant_kana").fill("タカハシ ハナコ")
    page.locator("#claimant_birth_date").fill("1990-05-10")
    page.locator("#claimant_my_number").fill("1234 5678 9018")
    page.locator("#claimant_postal_code").fill("8920816")
    page.locator("#claimant_address").fill("鹿児島県鹿児島市山下町11番1号")
    page.locator("#claimant_phone").fill("09012345678")
    page.locator("#claimant_occupation").fill("会社員")
    page.locator("#claimant_pension-kosei").check()
    page.locator("#has_spouse-no").check()
    expect(page.locator("#spouse_name")).to_be_hidden()
    next_step(page, visit, 2)

    page.locator("#bank_name").fill("デモ銀行")
    page.locator("#branch_name").fill("本店")
    page.locator("#account_type-ordinary").check()
    page.locator("#account_number").fill("1234567")
    page.locator("#account_holder_kana").fill("タカハシ ハナコ")
    next_step(page, visit, 3)

    page.locator("#children-0-name").fill("髙橋 一郎")
    page.locator("#children-0-kana").fill("タカハシ イチロウ")
    page.locator("#children-0-birth_date").fill("2020-06-15")
    page.locator("#children-0-relationship").select_option("child")
    page.locator("#children-0-living-together").check()
    page.locator("#older_children-no").check()
    next_step(page, visit, 4)

    page.locator("#account_proof").set_input_files(
        {"name": "passbook.png", "mimeType": "image/png", "buffer": png_bytes()})
    page.locator("#consent").check()
    page.locator('button[name="_action"][value="next"]').click()
    expect(page.locator("#confirm-title")).to_be_visible()
    visit()


def check_procedure_heading(page: Page, code: str, procedure) -> None:
    """The procedure's h1 is its title in this language, not a fallback (no lang="ja")."""
    heading = page.locator("main h1")
    expect(heading).to_have_count(1)
    if code == "ja-easy":
        expect(heading.locator("ruby").first).to_be_attached()  # ルビ on its kanji
    else:
        expect(heading).to_have_text(procedure.title)
    assert heading.get_attribute("lang") is None, f"the procedure's title is a fallback in {code}"


def save_screenshot(page: Page, name: str) -> None:
    """The phone's screen as it is now, to docs/images/ (only with MADOGUCHI_SCREENSHOTS=1)."""
    if os.environ.get("MADOGUCHI_SCREENSHOTS") != "1":
        return
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring
    page.screenshot(path=str(IMAGES / f"{name}.png"))


@pytest.mark.parametrize("code, tag", LANGUAGES, ids=[code for code, _tag in LANGUAGES])
def test_child_allowance_from_the_catalogue_to_the_receipt(phone: Page, city, code, tag):
    page = phone
    visit = Visit(page, code, tag)
    procedure = get_procedure(city, CLAIM, language=code)
    # The procedure's own texts exist in this language (in Japanese they are the source).
    assert not isinstance(procedure.title, Fallback), f"{CLAIM} has no title in {code}"

    page.goto("/")
    choose_language(page, code)
    visit(others=True)
    if code == "vi":
        save_screenshot(page, "catalogue-vi-phone")

    # The catalogue: the procedure's link by its address, in the 分野 it is listed under.
    href = f'a[href="{reverse("applications:procedure", args=[CLAIM])}"]'
    page.locator(f"main details.home-category:has({href}) > summary").click()
    link = page.locator(f"main details.home-category[open] {href}")
    assert link.get_attribute("lang") is None, f"the procedure's title is a fallback in {code}"
    link.click()
    check_procedure_heading(page, code, procedure)
    visit()

    # Not logged in: 申請をはじめる asks for the e-mail code, then comes back to the procedure.
    page.locator("#start-application").click()
    log_in(page, f"seven.{code}@example.jp", visit)
    expect(page.locator("#start-application")).to_be_visible()
    visit()
    page.locator("#start-application").click()
    expect(page.locator("nav.progress [data-step]")).to_have_attribute("data-step", "1")
    visit()

    fill_claim(page, visit)
    expect(page.locator("#submit-button")).to_have_attribute("data-submit", "send")
    page.locator("#submit-button").click()
    expect(page.locator("#submitted")).to_be_visible()
    visit()
    number = page.locator("[data-receipt-number]")
    expect(number).to_have_attribute("translate", "no")
    expect(number).to_have_text(re.compile(r"^\s*[0-9A-Z-]{6,16}\s*$"))


def test_the_language_chosen_in_the_navigator_stays_into_the_form_my_page_and_the_account(
        phone: Page, city):
    page = phone
    visit = Visit(page, "vi", "vi")
    email = "navi.vi@example.jp"

    page.goto(reverse("navigator:events"))
    choose_language(page, "vi")
    visit(others=True)
    page.locator(f'form[action="{reverse("navigator:start", args=["birth"])}"] button').click()
    expect(page.locator("#answer[type=date]")).to_be_visible()
    visit(others=True)
    page.locator(".navi-form button.primary").click()  # the day: today, as offered
    for answer in ("nhi", "first", "no", "no"):
        expect(page.locator(f"#answer-{answer}")).to_be_visible()
        visit(others=True)
        page.locator(f"#answer-{answer}").check()
        page.locator(".navi-form button.primary").click()
    item = page.locator(f"#item-{CLAIM}")
    expect(item).to_be_visible()
    visit(others=True)

    # From the plan: start the claim, logging in on the way; the form is in Vietnamese.
    item.locator(f'form[action="{reverse("applications:start", args=[CLAIM])}"] button').click()
    log_in(page, email, visit)
    page.locator("#apply-start").click()
    expect(page.locator("nav.progress [data-step]")).to_have_attribute("data-step", "1")
    visit()

    page.locator(f'header nav a[href="{reverse("applications:mypage")}"]').click()
    expect(page.locator("#logged-in-as")).to_be_visible()
    visit(others=True)
    assert ResidentAccount.objects.get(email=email).language == "vi"

    # Logging out forgets the session (the choice with it); logging in brings it back.
    page.locator(f'header form[action="{reverse("identity:logout")}"] button').click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.goto(f'{reverse("identity:login")}?next={reverse("applications:mypage")}')
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.locator("#email").fill(email)
    page.locator("#send-code").click()
    page.locator("#code").fill(login_code_for(email))
    page.locator("#login-with-code").click()
    expect(page.locator("#logged-in-as")).to_be_visible()
    visit(others=True)
