"""The no-writing counter in a real browser: a family of four with a dog moves in; the clerk
reads the card, goes through the questions, fills only the blanks; the visitor reads the
forms on the tablet and signs once, typing nothing; the cases reach four departments. And an
おくやみ visit: the wife comes as the family member who notifies her husband's death.

The tablet is a second browser paired with the clerk's desk by a one-time code: it never
logs in, and follows the clerk's visit by itself."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from madoguchi.core.crypto import decrypt_bytes, encrypt_bytes
from madoguchi.counter import bundle, services
from madoguchi.counter.models import CounterVisit, VisitStatus
from madoguchi.counter.tablet_views import COOKIE as TABLET_COOKIE
from madoguchi.identity.card.mynumber import generate as new_my_number
from madoguchi.register.keys import kana_keys, my_number_hash
from madoguchi.register.models import Household, Resident

from .helpers import check_a11y, log_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDRESS = "デモ市中央町5番6号"
ANSWERS = {"kind": "from_other_city", "household": "family", "card": "yes", "online_moving_out": "no",
           "insurance": "nhi", "pension": "none", "children": ["age_0_2", "elementary"], "dog": "yes",
           "car": "none", "oldest": "under65"}
SAMPLES = {"phone": "099-224-1111", "date": "2020-04-01", "kana": "ヤマダ　タロウ", "name": "山田 太郎",
           "address": ADDRESS, "text": "デモ", "postal_code": "8920816", "number": "60"}
DEATH = {"age": "from65to74", "insurance": "nhi", "pension": "yes", "survivors": "no",
         "householder": "yes", "remaining": "yes", "income": "no", "real_estate": "no",
         "large_estate": "no", "licence": "no", "car": "none", "dog": "no", "disability": ["none"],
         "moped": "none"}


def _years_ago(years: int) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def _family(city, number: str = "700001", address: str = ADDRESS) -> Resident:
    """The 山田 family of four (41, 39, 7 and 1 years old) in household `number` at `address`."""
    household = Household.objects.create(municipality=city, number=number)
    people = [("世帯主", "山田\u3000太郎", "ヤマダ　タロウ", 41, "1"), ("妻", "山田\u3000花子", "ヤマダ　ハナコ", 39, "2"),
              ("子", "山田\u3000一郎", "ヤマダ　イチロウ", 7, "1"), ("子", "山田\u3000桜", "ヤマダ　サクラ", 1, "2")]
    stored = []
    for n, (relationship, name, kana, age, gender) in enumerate(people, start=1):
        whole, surname, given = kana_keys(kana)
        number = new_my_number()
        stored.append(Resident.objects.create(
            municipality=city, code=f"{number[:2]}00000000{n}", household=household, relationship=relationship,
            name=name, kana=kana, birth_date=_years_ago(age), gender=gender, address=address,
            postal_code="8920816", settled_on=timezone.localdate(), became_resident_on=timezone.localdate(),
            latest_reason="転入", previous_address="熊本県熊本市中央区手取本町1番1号",
            my_number=encrypt_bytes(number.encode(), city), my_number_hash=my_number_hash(number),
            kana_key=whole, surname_key=surname, given_key=given))
    household.head = stored[0]
    household.save()
    return stored[0]


def _answer_questions(page, answers=ANSWERS, day=None) -> None:
    """Every question the page asks (several on one page, each in its [data-question])."""
    day = day or timezone.localdate()
    for _ in range(30):
        answer = page.get_by_role("button", name="回答する")
        if not answer.count():
            return
        asked = page.locator("[data-question]")
        for index in range(asked.count()):
            scope = asked.nth(index)
            question = scope.get_attribute("data-question")
            date_input = scope.locator("input[id^=answer-]:not([type=radio]):not([type=checkbox]):not([type=hidden])")
            if date_input.count():
                date_input.fill(day.isoformat())
                continue
            values = answers.get(question, "no")
            for value in values if isinstance(values, list) else [values]:
                scope.locator(f"input[value={value}]").check()
        answer.click()
    pytest.fail("the questions did not end")


def _fill_blanks(page, visit: CounterVisit) -> None:
    """The clerk asks the visitor and types what the register and the answers did not know,
    every form's blanks in one 「まとめて保存」 (a family's input once for all its members)."""
    for _ in range(5):
        form = page.locator("form.blanks")
        if not form.count():
            return
        entries = {e.form.pk: e for e in bundle.entries(visit)}
        controls = form.locator("select, input:not([type=hidden])")
        for index in range(controls.count()):
            control = controls.nth(index)
            name = control.get_attribute("name")
            pk, _, path = name.removeprefix("family-").removeprefix("f").partition("-")
            entry = entries[int(pk)]
            if name.startswith("family-"):
                group, _, sub = path.partition("-")
                path = f"{group}-0-{sub}"
            field = bundle.field_at(entry.procedure.form(entry.form.form_version), path)
            if field.options:
                control.select_option(field.options[0].value)
            elif field.type == "checkbox":
                control.check()
            elif field.type == "my_number":
                control.fill(new_my_number())
            else:
                control.fill("1234567" if field.id == "account_number" else SAMPLES.get(field.type, "デモ"))
        form.get_by_role("button", name="まとめて保存").click()
        expect(page.get_by_role("heading", name="窓口受付", exact=True)).to_be_visible()
    pytest.fail("blanks remained after five rounds")


def _read_card(page, resident: Resident) -> None:
    """What the card client on the counter PC read from the card (券面事項入力補助)."""
    page.locator("#card-name").fill(resident.name.replace("\u3000", " "))
    page.locator("#card-address").fill(ADDRESS)
    page.locator("#card-birth").fill(resident.birth_date.isoformat())
    page.locator("#card-gender").fill(resident.gender)
    page.locator("#card-number").fill(decrypt_bytes(resident.my_number).decode())
    page.get_by_role("button", name="カードで確認する").click()
    expect(page.get_by_text(f"来庁者: {resident.name}")).to_be_visible()


def test_a_family_moves_in_and_the_visitor_types_nothing(new_context, city):
    head = _family(city)
    page = new_context().new_page()
    log_in_staff(page, "shimin-tanto")
    page.goto("/staff/counter/")
    check_a11y(page)
    tablet = _pair_tablet(new_context, page)
    page.get_by_role("button", name="次の方の受付を始める").click()
    expect(page.get_by_role("heading", name="窓口受付", exact=True)).to_be_visible()
    check_a11y(page)
    visit = CounterVisit.objects.get()

    _read_card(page, head)

    page.get_by_label("できごと", exact=True).select_option("moving")
    page.get_by_role("button", name="質問を始める").click()
    _answer_questions(page)
    page.get_by_role("button", name="書類をつくる（記入済みで用意）").click()
    for title in ("転入届", "国民健康保険", "児童手当", "子ども医療費", "犬"):
        expect(page.get_by_role("heading", name=title).first).to_be_visible()
    check_a11y(page)
    _fill_blanks(page, visit)

    page.get_by_role("button", name="来庁者の確認へ進む").click()
    expect(page.locator(".msg-success")).to_be_visible()
    expect(page.locator("#tablet-paired")).to_be_visible()
    # The tablet turns to the visit by itself; the clerk touches nothing on it.
    expect(tablet.locator('.tablet[data-language="ja"] #to-sign')).to_be_visible()
    assert "/staff/" not in tablet.url and str(visit.public_id) not in tablet.url
    check_a11y(tablet)
    # Nothing for the visitor to write: no field but the signature pad.
    expect(tablet.locator("main input:not([type=hidden]), main textarea, main select")).to_have_count(0)
    tablet.locator("#tablet-easy").click()
    expect(tablet.locator('.tablet[data-language="ja-easy"] #tablet-plain')).to_be_visible()

    _sign_on_the_pad(tablet)
    tablet.locator("button[data-submit]").click()
    expect(tablet.locator('.tablet p[role="status"]')).to_be_visible()
    expect(tablet.locator("h2#receipts")).to_be_visible()
    check_a11y(tablet)

    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED and visit.duration_seconds is not None
    assert decrypt_bytes(visit.signature.image).startswith(b"\x89PNG")
    assert visit.fields_written_by_visitor == 0
    assert visit.fields_prefilled > visit.fields_typed_by_clerk > 0
    assert {f.procedure_code for f in visit.forms.all()} >= {
        "moving-in", "nhi-enrollment", "child-allowance-claim", "child-medical-subsidy",
        "dog-registration-change"}
    cases = services.filed_cases(visit)
    assert {c.department.code for c in cases} >= {"shimin", "kokuho", "kodomo", "kankyo"}
    for case in cases:
        expect(tablet.get_by_text(case.receipt_number)).to_be_visible()
    # The tablet's cookie opens no staff page.
    tablet.goto(f"/staff/counter/{visit.public_id}/")
    expect(tablet.get_by_role("heading", name="職員ログイン")).to_be_visible()

    # The clerk's page, left open, follows the visit to its filing by itself (a reload here
    # would race the page's own navigation).
    expect(page.get_by_role("heading", name=f"4. 各課へ送付しました（{len(cases)}件）")).to_be_visible(timeout=15_000)
    check_a11y(page)
    _department_sees_the_case(new_context, "kodomo-tanto", cases, "山田\u3000太郎")


def _pair_tablet(new_context, page, **options):
    """The clerk connects the desk's tablet: a second browser that never logs in."""
    tablet = new_context(**options).new_page()
    tablet.goto("/counter/tablet/")
    expect(tablet.get_by_role("heading", name="タブレットの接続")).to_be_visible()
    check_a11y(tablet)
    tablet.get_by_label("接続コード（6桁の数字）").fill("123456")  # no code issued yet: wrong
    tablet.get_by_role("button", name="接続する").click()
    expect(tablet.get_by_role("alert")).to_contain_text("接続コードが違います")
    check_a11y(tablet)

    page.goto("/staff/counter/")
    page.get_by_role("button", name="タブレットを接続する").click()
    code = page.locator(".pairing-code").inner_text()
    check_a11y(page)
    tablet.get_by_label("接続コード（6桁の数字）").fill(code)
    tablet.get_by_role("button", name="接続する").click()
    expect(tablet.get_by_role("heading", name="次の方をお待ちください")).to_be_visible()
    check_a11y(tablet)
    cookies = {c["name"]: c for c in tablet.context.cookies()}
    assert "sessionid" not in cookies
    device = cookies[TABLET_COOKIE]
    assert device["httpOnly"] and device["sameSite"] == "Strict" and device["path"] == "/counter/tablet/"
    page.goto("/staff/counter/")
    expect(page.get_by_text("接続中のタブレット")).to_be_visible()
    return tablet


def _department_sees_the_case(new_context, username, cases, applicant) -> None:
    """A clerk of one department finds the visit's case in the queue, with the whole visit."""
    department = username.split("-")[0]
    page = new_context().new_page()
    log_in_staff(page, username)
    page.goto("/staff/")
    page.get_by_label("経路").select_option("counter")
    page.get_by_role("button", name="絞り込む").click()
    own = [c for c in cases if c.department.code == department]
    assert own
    for case in own:
        expect(page.get_by_role("link", name=case.receipt_number)).to_be_visible()
    page.get_by_role("link", name=own[0].receipt_number).click()
    expect(page.get_by_role("heading", name="同じ来庁で受け付けた手続")).to_be_visible()
    expect(page.get_by_text(f"{applicant}（")).to_be_visible()  # 申請者（住民記録）: name（kana）
    for case in cases:
        expect(page.get_by_text(case.receipt_number).first).to_be_visible()
    check_a11y(page)


def _sign_on_the_pad(page) -> None:
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 40 + step * 30, box["y"] + 60 + (step % 3) * 20)
    page.mouse.up()


def test_an_okuyami_visit_by_the_wife_as_the_family_member(new_context, city):
    head = _family(city)
    wife = Resident.objects.get(household=head.household, relationship="妻")
    page = new_context().new_page()
    log_in_staff(page, "shimin-tanto")
    page.goto("/staff/counter/")
    tablet = _pair_tablet(new_context, page)
    page.get_by_role("button", name="次の方の受付を始める").click()
    visit = CounterVisit.objects.get()

    _read_card(page, wife)  # her own card: she is the one who came

    # Her husband, whose death she notifies, is found by kana and birth date.
    page.locator("summary", has_text="フリガナと生年月日で検索").click()
    page.get_by_label("フリガナ", exact=True).fill("ヤマダ タロウ")
    page.locator("#birth").fill(head.birth_date.isoformat())
    page.get_by_role("button", name="検索する").click()
    expect(page.get_by_text("検索結果（1件）")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="代理の対象者として選ぶ").click()
    expect(page.get_by_text("手続の対象者（代理）: 山田\u3000太郎")).to_be_visible()
    page.locator("summary", has_text="代理人（代理の方が来庁したとき）").click()
    page.get_by_label("代理人の氏名").fill("山田 花子")
    page.get_by_label("本人との関係").fill("妻")
    page.get_by_role("button", name="代理人を記録する").click()
    expect(page.get_by_text("代理人: 山田 花子（本人との関係: 妻）")).to_be_visible()

    page.get_by_label("できごと", exact=True).select_option("death")
    page.get_by_role("button", name="質問を始める").click()
    _answer_questions(page, DEATH, day=timezone.localdate() - timedelta(days=1))
    page.get_by_role("button", name="書類をつくる（記入済みで用意）").click()
    for title in ("死亡届", "葬祭費", "世帯"):
        expect(page.get_by_role("heading", name=title).first).to_be_visible()
    check_a11y(page)
    _fill_blanks(page, visit)

    page.get_by_role("button", name="来庁者の確認へ進む").click()
    expect(tablet.locator('.tablet[data-language="ja"] #to-sign')).to_be_visible()
    expect(tablet.locator("main input:not([type=hidden]), main textarea, main select")).to_have_count(0)
    _sign_on_the_pad(tablet)
    tablet.get_by_role("button", name="署名して申請する").click()
    expect(tablet.get_by_role("heading", name="受付番号")).to_be_visible()
    check_a11y(tablet)

    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED and visit.fields_written_by_visitor == 0
    assert visit.visitor == wife and visit.represented == head
    death = next(f for f in bundle.entries(visit) if f.procedure.code == "death-registration")
    assert death.answers["deceased_name"] == head.name and death.answers["notifier_name"] == wife.name
    cases = services.filed_cases(visit)
    assert {c.resident for c in cases} == {wife}  # she applies; the cases are about him
    assert {c.department.code for c in cases} >= {"shimin", "kokuho"}
    _department_sees_the_case(new_context, "kokuho-tanto", cases, "山田\u3000花子")


def _bundled_visit(city, head, answers=ANSWERS):
    """A visit the clerk has prepared up to its forms, through the services: (visit, actor)."""
    from django.contrib.auth import get_user_model

    from madoguchi.core.actors import Actor
    from madoguchi.counter import services
    from madoguchi.navigator import services as navigator

    clerk = get_user_model().objects.get(username="shimin-tanto")
    actor = Actor.staff(clerk)
    visit = services.start_visit(city, clerk, actor)
    services.choose(visit, actor, head.pk)
    plan = services.start_event(visit, "moving")
    while (question := navigator.next_question(plan)) is not None:
        value = timezone.localdate().isoformat() if question.type == "date" else answers.get(question.id, "no")
        assert navigator.answer(plan, question.id, value if isinstance(value, list) else [value]) == []
    visit.refresh_from_db()
    bundle.build(visit, actor)
    return visit, actor


def _checked_visit(city, head, answers=ANSWERS) -> CounterVisit:
    """A visit the clerk has prepared up to the visitor's check, through the services."""
    visit, actor = _bundled_visit(city, head, answers)
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


def test_one_wrong_blank_keeps_what_the_clerk_typed_and_takes_the_focus(new_context, city):
    """「160時間」 in a phone number: the other values stay in their inputs, the wrong one is
    marked at its field, named in the summary, and the cursor is on it."""
    visit, _ = _bundled_visit(city, _family(city))
    allowance = next(e for e in bundle.entries(visit) if e.procedure.code == "child-allowance-claim")
    page = new_context().new_page()
    log_in_staff(page, "shimin-tanto")
    page.goto(f"/staff/counter/{visit.public_id}/")
    moving_in = next(e for e in bundle.entries(visit) if e.procedure.code == "moving-in")
    form = page.locator("form.blanks")
    typed = {"claimant_occupation": "会社員", "bank_name": "デモ銀行", "branch_name": "中央支店",
             "account_number": "1234567"}
    for path, value in typed.items():
        form.locator(f"#f{allowance.form.pk}-{path}").fill(value)
    form.locator(f"#f{allowance.form.pk}-account_type").select_option(index=1)
    # The phone is asked once for the whole visit: on the first form that asks it.
    expect(form.locator(f"#f{allowance.form.pk}-claimant_phone")).to_have_count(0)
    form.locator(f"#f{moving_in.form.pk}-notifier_phone").fill("160時間")
    form.get_by_role("button", name="まとめて保存").click()

    phone = page.locator(f"#f{moving_in.form.pk}-notifier_phone")
    expect(phone).to_have_value("160時間")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()
    message = page.locator(f"#{phone.get_attribute('aria-describedby').split()[0]}")
    expect(message).to_be_visible()
    summary = page.locator(".error-summary")
    expect(summary.locator(f'a[href="#f{moving_in.form.pk}-notifier_phone"]')).to_be_visible()
    form = page.locator("form.blanks")
    for path, value in typed.items():
        expect(form.locator(f"#f{allowance.form.pk}-{path}")).to_have_value(value)
        expect(form.locator(f"#f{allowance.form.pk}-{path}")).not_to_have_attribute("aria-invalid", "true")
    check_a11y(page)

    stored = next(e for e in bundle.entries(visit) if e.form.pk == allowance.form.pk)
    assert {path: stored.answers[path] for path in typed} == typed
    assert stored.raw == {}
    moving_in = next(e for e in bundle.entries(visit) if e.form.pk == moving_in.form.pk)
    assert moving_in.raw == {"notifier_phone": "160時間"}


def test_without_javascript_the_visitor_signs_the_printed_summary(new_context, city):
    visit = _checked_visit(city, _family(city))
    page = new_context(java_script_enabled=False).new_page()
    log_in_staff(page, "shimin-tanto")
    page.goto(f"/staff/counter/{visit.public_id}/tablet/")
    expect(page.get_by_text("印刷した確認票にご署名ください")).to_be_visible()
    expect(page.get_by_role("button", name="署名して申請する")).to_be_hidden()
    check_a11y(page)

    page.goto(f"/staff/counter/{visit.public_id}/")
    summary = page.get_by_role("link", name="確認票（A4、署名用）を印刷する")
    expect(summary).to_be_visible()
    response = page.request.get(summary.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    page.get_by_role("button", name="確認票に署名をもらった").click()
    expect(page.get_by_text("各課へ送付済み")).to_be_visible()
    check_a11y(page)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED and visit.fields_written_by_visitor == 0


def test_a_paired_tablet_without_javascript_follows_the_desk_by_itself(new_context, city):
    page = new_context().new_page()
    log_in_staff(page, "shimin-tanto")
    tablet = _pair_tablet(new_context, page, java_script_enabled=False)
    visit = _checked_visit(city, _family(city))  # the clerk gets to the visitor's check
    # The <noscript> meta refresh brings the visit to the tablet; no pad without JavaScript.
    expect(tablet.get_by_role("heading", name="申請内容のご確認")).to_be_visible(timeout=15_000)
    expect(tablet.get_by_text("印刷した確認票にご署名ください")).to_be_visible()
    expect(tablet.get_by_role("button", name="署名して申請する")).to_be_hidden()
    check_a11y(tablet)
    page.goto(f"/staff/counter/{visit.public_id}/")
    page.get_by_role("button", name="確認票に署名をもらった").click()
    expect(page.get_by_text("各課へ送付済み")).to_be_visible()
    expect(tablet.get_by_role("heading", name="受付番号")).to_be_visible(timeout=20_000)
    check_a11y(tablet)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED


def test_a_visit_loaded_from_the_residents_qr_code(new_context, city):
    from madoguchi.navigator import services as navigator

    head = _family(city)
    plan = navigator.start_plan(city, "moving")  # made at home; the QR code carries the token
    while (question := navigator.next_question(plan)) is not None:
        value = timezone.localdate().isoformat() if question.type == "date" else ANSWERS.get(question.id, "no")
        assert navigator.answer(plan, question.id, value if isinstance(value, list) else [value]) == []
    page = new_context().new_page()
    log_in_staff(page, "shimin-tanto")
    page.goto("/staff/counter/")
    page.get_by_role("button", name="次の方の受付を始める").click()
    page.locator("summary", has_text="フリガナと生年月日で検索").click()
    page.get_by_label("フリガナ", exact=True).fill("やまだ たろう")
    page.locator("#birth").fill(head.birth_date.isoformat())
    page.get_by_role("button", name="検索する").click()
    expect(page.get_by_text("検索結果（1件）")).to_be_visible()
    page.get_by_role("button", name="来庁者として選ぶ").click()
    page.get_by_label("QRコード（手続ナビ）の読み取り結果").fill(plan.token)
    page.get_by_role("button", name="回答を読み込む").click()
    expect(page.get_by_role("button", name="回答する")).to_have_count(0)
    page.get_by_role("button", name="書類をつくる（記入済みで用意）").click()
    expect(page.get_by_role("heading", name="児童手当").first).to_be_visible()
    check_a11y(page)
    visit = CounterVisit.objects.get()
    assert visit.plan == plan and visit.identified_by == "kana"
    assert "dog-registration-change" in {f.procedure_code for f in visit.forms.all()}
