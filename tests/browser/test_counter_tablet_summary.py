"""The visitor's summary on the tablet: the 山田 family's 転入 (7 forms) read as short
summaries with the details one tap away, the signature reachable from the top, and after the
filing the take-away list of what is still to do elsewhere."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from madoguchi.core.actors import Actor
from madoguchi.core.crypto import encrypt_bytes
from madoguchi.counter import bundle, services, tablets
from madoguchi.counter.models import CounterVisit
from madoguchi.identity.card.mynumber import generate as new_my_number
from madoguchi.navigator import services as navigator
from madoguchi.register.keys import kana_keys, my_number_hash
from madoguchi.register.models import Household, Resident

from .helpers import assert_no_sideways_scroll, check_a11y

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"viewport": {"width": 810, "height": 1080}, "has_touch": True}
ADDRESS = "デモ市中央町7番8号"
ANSWERS = {"kind": "from_other_city", "household": "family", "card": "yes", "online_moving_out": "no",
           "insurance": "nhi", "pension": "none", "children": ["age_0_2", "elementary"], "dog": "yes",
           "licence": "yes", "car": "none", "seal": "yes"}
SAMPLES = {"phone": "099-224-1111", "date": "2020-04-01", "kana": "ヤマダ　タロウ", "name": "山田 太郎",
           "address": ADDRESS, "text": "デモ", "postal_code": "8920816", "number": "60"}


def _years_ago(years: int) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def _yamada(city) -> Resident:
    household = Household.objects.create(municipality=city, number="710001")
    people = [("世帯主", "山田\u3000太郎", "ヤマダ　タロウ", 41, "1"), ("妻", "山田\u3000花子", "ヤマダ　ハナコ", 39, "2"),
              ("子", "山田\u3000一郎", "ヤマダ　イチロウ", 7, "1"), ("子", "山田\u3000桜", "ヤマダ　サクラ", 1, "2")]
    stored = []
    for n, (relationship, name, kana, age, gender) in enumerate(people, start=1):
        whole, surname, given = kana_keys(kana)
        number = new_my_number()
        stored.append(Resident.objects.create(
            municipality=city, code=f"7100000000{n}", household=household, relationship=relationship,
            name=name, kana=kana, birth_date=_years_ago(age), gender=gender, address=ADDRESS,
            postal_code="8920816", settled_on=timezone.localdate(), became_resident_on=timezone.localdate(),
            latest_reason="転入", previous_address="熊本県熊本市中央区手取本町1番1号",
            my_number=encrypt_bytes(number.encode()), my_number_hash=my_number_hash(number),
            kana_key=whole, surname_key=surname, given_key=given))
    household.head = stored[0]
    household.save()
    return stored[0]


def _checked_visit(city, clerk) -> CounterVisit:
    """The clerk's side through the services, up to the visitor's check."""
    actor = Actor.staff(clerk)
    visit = services.start_visit(city, clerk, actor)
    services.choose(visit, actor, _yamada(city).pk)
    plan = services.start_event(visit, "moving")
    while (question := navigator.next_question(plan)) is not None:
        value = timezone.localdate().isoformat() if question.type == "date" else ANSWERS.get(question.id, "no")
        assert navigator.answer(plan, question.id, value if isinstance(value, list) else [value]) == []
    visit.refresh_from_db()
    bundle.build(visit, actor)
    for _ in range(15):
        entries = [e for e in bundle.entries(visit) if e.blanks]
        if not entries:
            break
        for entry in entries:
            fields = entry.procedure.form(entry.form.form_version)
            values = {}
            for path in entry.blanks:
                field = bundle.field_at(fields, path)
                values[path] = (field.options[0].value if field.options else True if field.type == "checkbox"
                                else new_my_number() if field.type == "my_number"
                                else "1234567" if field.id == "account_number" else SAMPLES[field.type])
            assert bundle.fill_blanks(entry.form, entry.procedure, values, actor) == {}
    services.confirm(visit, actor)
    return visit


def _paired_tablet(new_context, city, clerk):
    code = tablets.issue_code(city, clerk, Actor.staff(clerk))
    tablet = new_context(**TABLET).new_page()
    tablet.goto("/counter/tablet/")
    tablet.get_by_label("接続コード（6桁の数字）").fill(code)
    tablet.get_by_role("button", name="接続する").click()
    expect(tablet.get_by_role("heading", name="次の方をお待ちください")).to_be_visible()
    return tablet


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def _sign_on_the_pad(page) -> None:
    pad = page.locator("canvas.signature-pad")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 40 + step * 30, box["y"] + 60 + (step % 3) * 20)
    page.mouse.up()


def test_the_visitor_reads_short_summaries_signs_without_scrolling_far_and_sees_what_is_left(new_context, city):
    clerk = get_user_model().objects.get(username="shimin-tanto")
    tablet = _paired_tablet(new_context, city, clerk)
    visit = _checked_visit(city, clerk)
    forms = visit.forms.count()
    tablet.goto("/counter/tablet/")
    expect(tablet.get_by_role("heading", name="申請内容のご確認")).to_be_visible()
    check_a11y(tablet)

    # Large text kept.
    assert tablet.evaluate("parseFloat(getComputedStyle(document.querySelector('.tablet')).fontSize)") >= 22
    # Every form is a short card; its rows wait behind a closed <details>.
    cards = tablet.locator("li.tablet-form")
    expect(cards).to_have_count(forms)
    details = tablet.locator("details.tablet-details")
    expect(details).to_have_count(forms)
    for n in range(forms):
        expect(details.nth(n)).not_to_have_attribute("open", "")
        expect(details.nth(n).locator("dl.summary dt").first).to_be_hidden()
    short = _height(tablet)

    # The details are one tap away (no JavaScript of ours involved).
    moving_in = tablet.locator('li[data-procedure="moving-in"] details')
    moving_in.locator("summary").click()
    expect(moving_in.locator("dl.summary dt").first).to_be_visible()
    tablet.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    everything = _height(tablet)
    print(f"\ntablet 810x1080, {forms} forms: {short} px with the short summaries, "
          f"{everything} px with every detail open")
    assert short * 3 < everything
    tablet.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")

    # The way to the signature is at the top, in the first screen, and lands on the pad.
    tablet.evaluate("window.scrollTo(0, 0)")
    jump = tablet.locator("#to-sign")
    expect(jump).to_be_in_viewport()
    jump.click()
    expect(tablet.get_by_role("heading", name="ご署名（1回だけ）")).to_be_in_viewport()
    expect(tablet.locator("canvas.signature-pad")).to_be_in_viewport()
    _sign_on_the_pad(tablet)
    tablet.get_by_role("button", name="署名して申請する").click()

    # After the filing: the receipt numbers, then what is still to do elsewhere.
    expect(tablet.get_by_role("heading", name="受付番号")).to_be_visible()
    takeaway = tablet.locator("#takeaway")
    expect(takeaway.get_by_role("heading", name="これからの手続（ほかの窓口で）")).to_be_visible()
    for code in ("school-transfer", "driving-licence-change", "mynumber-card-address-change"):
        expect(takeaway.locator(f'li[data-procedure="{code}"]')).to_be_visible()
    expect(tablet.locator("li.tablet-form")).to_have_count(0)
    check_a11y(tablet)
    for code in visit.forms.values_list("procedure_code", flat=True):
        expect(takeaway.locator(f'li[data-procedure="{code}"]')).to_have_count(0)


def test_in_easy_japanese_the_summary_and_the_signature_read_plainly(new_context, city):
    clerk = get_user_model().objects.get(username="shimin-tanto")
    tablet = _paired_tablet(new_context, city, clerk)
    _checked_visit(city, clerk)
    tablet.goto("/counter/tablet/?lang=easy")
    expect(tablet.get_by_role("heading", name="ないようを みて ください")).to_be_visible()
    expect(tablet.locator("p.tablet-purpose")).to_have_count(0)
    check_a11y(tablet)
    tablet.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert_no_sideways_scroll(tablet, 320)
    tablet.set_viewport_size(TABLET["viewport"])
    tablet.locator("#to-sign").click()
    expect(tablet.locator("canvas.signature-pad")).to_be_in_viewport()
    _sign_on_the_pad(tablet)
    tablet.get_by_role("button", name="これで おわり").click()
    expect(tablet.get_by_role("heading", name="うけつけ ばんごう")).to_be_visible()
    expect(tablet.locator("#takeaway li.takeaway-item").first).to_be_visible()
    check_a11y(tablet)
    assert_no_sideways_scroll(tablet, 320)  # a small tablet held upright, zoomed text
