"""手続ナビ in a real browser: three life events from the first question to a started
application, with axe-core on every page on the way."""

import re

import pytest
from playwright.sync_api import Page, expect

from madoguchi.applications.models import Draft

from .helpers import check_a11y, log_in_resident, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_event(page: Page, title: str, first_question: str) -> None:
    page.goto("/navi/")
    expect(page.get_by_role("heading", name="手続ナビ", level=1)).to_be_visible()
    check_a11y(page)
    screenshot(page, "navigator-events")
    page.get_by_role("button", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first_question)
    check_a11y(page)


def choose(page: Page, labels: list[str], next_question: str | None) -> None:
    """Tick the labelled options, press 次へ, check the next page (a question or the result)."""
    for label in labels:
        page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="次へ").click()
    if next_question is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text(next_question)
    else:
        expect(page.get_by_role("heading", level=1)).to_contain_text("必要な手続")
    check_a11y(page)


def keep_the_day(page: Page, next_question: str) -> None:
    expect(page.locator("input[type=date]")).to_have_count(1)
    choose(page, [], next_question)


def group(page: Page, heading: str):
    return page.get_by_role("region", name=re.compile(rf"^{heading} \d"))


def test_birth_leads_to_a_started_child_allowance_claim(new_context):
    page = new_context().new_page()
    open_event(page, "出生", "お子さんが生まれた日はいつですか")
    keep_the_day(page, "お子さんが入る健康保険はどれですか")
    choose(page, ["国民健康保険（親が自営業など）"], "児童手当を、すでに上のお子さんの分で受け取っていますか")
    choose(page, ["受け取っていない（はじめてのお子さんなど）"], "ひとり親の家庭ですか")
    choose(page, ["いいえ"], "育児休業のあとなどに、保育所・認定こども園などを利用したいですか")
    choose(page, ["いいえ"], None)
    screenshot(page, "navigator-result")

    online = group(page, "オンラインで今すぐ")
    item = online.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="児童手当 認定請求"))
    expect(item).to_contain_text("15日以内に請求してください")
    counter = group(page, "窓口で")
    expect(counter.get_by_role("heading", name="出生届")).to_be_visible()
    expect(counter).to_contain_text("市民課（本庁舎1階 1番窓口）")
    expect(page.locator(".qr svg")).to_be_visible()

    item.get_by_role("button", name=re.compile("^オンラインで申請をはじめる")).click()
    log_in_resident(page, "navi.birth@example.jp")
    expect(page.get_by_role("heading", level=1)).to_have_text("児童手当 認定請求")
    check_a11y(page)
    page.get_by_role("button", name="申請をはじめる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("請求者")
    check_a11y(page)
    assert Draft.objects.get().procedure_code == "child-allowance-claim"


def test_moving_in_with_a_dog_leads_to_a_started_dog_registration_change(new_context):
    page = new_context().new_page()
    page.goto("/login/?next=/navi/")
    log_in_resident(page, "navi.moving@example.jp")
    open_event(page, "引越し", "どのような引越しですか")
    choose(page, ["市外から市内へ（国内のほかの市区町村から）"], "引越しの日（予定の日）はいつですか")
    keep_the_day(page, "だれが引っ越しますか")
    choose(page, ["家族と一緒に"], "引っ越す方は、マイナンバーカードを持っていますか")
    choose(page, ["はい"], "前の市区町村への転出届を、マイナポータルで出しますか（出しましたか）")
    choose(page, ["はい"], "引っ越す方の健康保険はどれですか")
    choose(page, ["勤務先の健康保険（会社員・公務員とその扶養家族）"],
           "引っ越す方のうち、いちばん年上の方の年齢はどれですか")
    choose(page, ["65歳未満"], "一緒に引っ越すお子さんの年齢はどれですか（あてはまるものをすべて）")
    choose(page, ["小学生", "中学生"], "ひとり親の家庭などで、児童扶養手当を受けていますか")
    choose(page, ["いいえ"], "小中学生のお子さんの学用品費や給食費などの援助（就学援助）を希望しますか")
    choose(page, ["いいえ"], "引っ越す方の中に、妊娠している方はいますか")
    choose(page, ["いいえ"], "引っ越す方の中に、要介護・要支援の認定を受けている方はいますか")
    choose(page, ["いいえ"], "引っ越す方の中に、障害者手帳（身体障害者手帳・療育手帳・精神障害者保健福祉手帳）を持っている方はいますか")
    choose(page, ["いいえ"], "犬を飼っていますか")
    choose(page, ["はい"], "運転免許証を持っていますか")
    choose(page, ["いいえ"], "自動車を持っていますか")
    choose(page, ["持っていない"], "原動機付自転車（原付バイク）や小型特殊自動車（農耕用トラクターなど）を持っていますか")
    choose(page, ["いいえ"], "印鑑登録（実印）が必要ですか")
    choose(page, ["いいえ"], None)

    expect(group(page, "オンラインで今すぐ").get_by_role("link", name=re.compile(
        "^マイナポータルで手続する"))).to_be_visible()
    expect(group(page, "窓口で").get_by_role("heading", name="転入学・転校の手続（小・中学校）")).to_be_visible()
    dog = group(page, "オンラインで今すぐ").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="犬の登録事項変更届"))
    expect(dog).to_contain_text("前の市区町村で交付された鑑札をお持ちください")
    dog.get_by_role("button", name=re.compile("^オンラインで申請をはじめる")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("飼い主")
    check_a11y(page)
    assert Draft.objects.get().procedure_code == "dog-registration-change"


def test_a_death_in_the_family_leads_to_the_funeral_expenses_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    open_event(page, "死亡・おくやみ", "亡くなった日はいつですか")
    keep_the_day(page, "亡くなった方の年齢はどれですか")
    # Going back from the second question, then forward again, keeps the answer.
    page.get_by_role("link", name="前の質問にもどる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("亡くなった日はいつですか")
    check_a11y(page)
    keep_the_day(page, "亡くなった方の年齢はどれですか")
    choose(page, ["65〜74歳"], "亡くなった方の健康保険はどれでしたか")
    choose(page, ["国民健康保険"], "亡くなった方が持っていたもの・受けていたものはありますか（あてはまるものをすべて）")
    choose(page, ["どちらもない"], "亡くなった方は、年金を受け取っていましたか")
    choose(page, ["はい"], "亡くなった方に生計を支えられていた配偶者やお子さんはいますか")
    choose(page, ["はい"], "亡くなった方は、世帯主でしたか")
    choose(page, ["いいえ"], "亡くなった方は、毎年確定申告をしていましたか")
    choose(page, ["いいえ"], "亡くなった方は、土地や建物を持っていましたか")
    choose(page, ["はい"], "財産の合計が、3,000万円＋600万円×相続人の数を超えそうですか")
    choose(page, ["いいえ"], "亡くなった方は、運転免許証を持っていましたか")
    choose(page, ["いいえ"], "亡くなった方の名義の自動車はありますか")
    choose(page, ["ない"], "亡くなった方の名義の原動機付自転車（原付バイク）・小型特殊自動車（農耕用トラクターなど）はありますか")
    choose(page, ["ない"], "亡くなった方は、印鑑登録をしていましたか")
    choose(page, ["いいえ"], "亡くなった方は、マイナンバーカードを持っていましたか")
    choose(page, ["いいえ"], "亡くなった方は、犬の飼い主でしたか")
    choose(page, ["いいえ"], None)

    expect(group(page, "市役所以外で")).to_contain_text("年金事務所")
    expect(group(page, "市役所以外で")).to_contain_text("法務局")
    expect(group(page, "窓口で").get_by_role("heading", name="死亡届")).to_be_visible()
    # The site's language switch (no switch of the navigator's own): the same plan in English.
    page.locator("#language-switch summary").click()
    page.locator('#language-switch a[data-lang="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#group-counter")).to_be_visible()
    check_a11y(page)
    page.locator("#language-switch summary").click()
    page.locator('#language-switch a[data-lang="ja"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    funeral = group(page, "オンラインで今すぐ").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="葬祭費の支給申請（国民健康保険）"))
    funeral.get_by_role("button", name=re.compile("^オンラインで申請をはじめる")).click()
    log_in_resident(page, "navi.death@example.jp")
    expect(page.get_by_role("heading", level=1)).to_have_text("葬祭費の支給申請（国民健康保険）")
    page.get_by_role("button", name="申請をはじめる").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("葬祭費の支給申請（国民健康保険）")
    check_a11y(page)
    assert Draft.objects.get().procedure_code == "nhi-funeral-expenses"
