"""Households and life events → the exact procedures they need.

Each scenario walks the questions as the pages do (only what the navigator asks is answered)
and compares the procedures with the expected set. A scenario answer the navigator never asks
for is an error too, so the table also pins down which questions are skipped."""

import pytest

from madoguchi.navigator.loader import events
from madoguchi.navigator.rules import matching_rules, next_question

DAY = "2026-04-01"


def walk(event_id: str, answers: dict) -> tuple[dict, list[str]]:
    """Answer every question the navigator asks from `answers`; return what was given and the
    order of the questions asked."""
    event = events()[event_id]
    given: dict = {}
    asked: list[str] = []
    while (question := next_question(event, given)) is not None:
        if question.id == event.day:
            given[question.id] = answers.get(question.id, DAY)
        else:
            assert question.id in answers, f"asked '{question.id}', which the scenario leaves open"
            given[question.id] = answers[question.id]
        asked.append(question.id)
    return given, asked


def procedures(event_id: str, answers: dict) -> set[str]:
    given, asked = walk(event_id, answers)
    unused = set(answers) - set(asked)
    assert not unused, f"never asked: {sorted(unused)} (asked: {asked})"
    return {rule.procedure for rule in matching_rules(events()[event_id], given)}


SCENARIOS = [
    # --- 引越し ------------------------------------------------------------------------------
    ("市外から単身で転入、国保、カードでワンストップ、免許あり", "moving",
     dict(kind="from_other_city", household="alone", card="yes", online_moving_out="yes",
          insurance="nhi", care_cert="no", dog="no", licence="yes", car="none", seal="no"),
     {"moving-in", "moving-in-reservation", "mynumber-card-address-change", "nhi-enrollment",
      "driving-licence-change"}),
    ("市外から家族で転入、会社員、0〜2歳と小学生、保育希望、犬、普通車、実印", "moving",
     dict(kind="from_other_city", household="family", card="no", insurance="employee",
          children=["age_0_2", "elementary"], daycare="yes", care_cert="no", dog="yes",
          licence="yes", car="standard", seal="yes"),
     {"moving-in", "seal-registration", "child-allowance-claim", "child-medical-subsidy",
      "childcare-eligibility", "childcare-admission", "school-transfer",
      "dog-registration-change", "driving-licence-change", "vehicle-registration-change",
      "parking-certificate"}),
    ("海外から単身で転入、国保、国民年金第1号", "moving",
     dict(kind="from_abroad", household="alone", card="no", insurance="nhi", pension="first",
          dog="no", licence="no", seal="no"),
     {"moving-in", "nhi-enrollment", "national-pension-enrollment"}),
    ("海外から家族で転入、会社員、中学生、犬、国外転出者向けカード", "moving",
     dict(kind="from_abroad", household="family", card="yes", insurance="employee",
          pension="second", children=["junior_high"], dog="yes", licence="yes", seal="no"),
     {"moving-in", "mynumber-card-address-change", "child-allowance-claim",
      "child-medical-subsidy", "school-transfer", "dog-registration", "driving-licence-change"}),
    ("市内で単身の転居、国保、犬を飼っている", "moving",
     dict(kind="within", household="alone", card="yes", insurance="nhi", dog="yes",
          licence="no", car="none"),
     {"moving-within", "mynumber-card-address-change", "nhi-change", "dog-registration-change"}),
    ("市内で家族の転居、高校生、軽自動車", "moving",
     dict(kind="within", household="family", card="no", insurance="employee",
          children=["high_school"], dog="no", licence="yes", car="kei"),
     {"moving-within", "child-allowance-change", "child-medical-subsidy-change",
      "driving-licence-change", "vehicle-registration-change"}),
    ("市内で家族の転居、小学生、普通車", "moving",
     dict(kind="within", household="family", card="yes", insurance="employee",
          children=["elementary"], dog="no", licence="no", car="standard"),
     {"moving-within", "mynumber-card-address-change", "child-allowance-change",
      "child-medical-subsidy-change", "school-transfer", "vehicle-registration-change",
      "parking-certificate"}),
    ("市外へ転出、3〜5歳の子がいる、カードあり", "moving",
     dict(kind="to_other_city", household="family", card="yes", children=["age_3_5"],
          care_cert="no"),
     {"moving-out", "child-allowance-termination", "child-medical-subsidy-change"}),
    ("市外へ転出、カードなし、要介護認定あり", "moving",
     dict(kind="to_other_city", household="alone", card="no", care_cert="yes"),
     {"moving-out", "care-eligibility-certificate"}),
    ("海外へ家族で転出、小学生", "moving",
     dict(kind="to_abroad", household="family", children=["elementary"]),
     {"moving-out", "child-allowance-termination", "child-medical-subsidy-change"}),
    ("海外へ単身で転出", "moving",
     dict(kind="to_abroad", household="alone"),
     {"moving-out"}),
    ("市外から要介護認定のある高齢者が転入、後期高齢者医療", "moving",
     dict(kind="from_other_city", household="alone", card="yes", online_moving_out="no",
          insurance="late_elderly", care_cert="yes", dog="no", licence="no", car="none",
          seal="no"),
     {"moving-in", "mynumber-card-address-change", "care-certification-after-move"}),
    # --- 出生 --------------------------------------------------------------------------------
    ("国保の家庭に第1子が生まれた", "birth",
     dict(insurance="nhi", allowance="first", single_parent="no", daycare="no"),
     {"birth-registration", "child-allowance-claim", "child-medical-subsidy", "nhi-enrollment",
      "nhi-childbirth-lump-sum"}),
    ("会社員の家庭に第2子、保育を希望", "birth",
     dict(insurance="employee", allowance="receiving", single_parent="no", daycare="yes"),
     {"birth-registration", "child-allowance-amount-revision", "child-medical-subsidy",
      "employer-health-insurance", "childcare-eligibility", "childcare-admission"}),
    ("公務員の家庭に生まれた（児童手当は勤務先）", "birth",
     dict(insurance="employee", allowance="civil_servant", single_parent="no", daycare="no"),
     {"birth-registration", "child-medical-subsidy", "employer-health-insurance"}),
    ("ひとり親、国保、保育を希望", "birth",
     dict(insurance="nhi", allowance="first", single_parent="yes", daycare="yes"),
     {"birth-registration", "child-allowance-claim", "child-medical-subsidy",
      "child-rearing-allowance-claim", "single-parent-medical-subsidy", "nhi-enrollment",
      "nhi-childbirth-lump-sum", "childcare-eligibility", "childcare-admission"}),
    # --- 結婚 --------------------------------------------------------------------------------
    ("名字が変わり、国保から配偶者の扶養へ、市内で転居、免許とパスポート", "marriage",
     dict(name_change="yes", move="within", insurance="nhi", dependent="yes", allowance="no",
          seal="no", licence="yes", passport="yes", car="none"),
     {"marriage-registration", "moving-within", "nhi-withdrawal", "employer-health-insurance",
      "driving-licence-change", "passport-change", "family-register-certificate"}),
    ("名字も住所も変わらない会社員", "marriage",
     dict(name_change="no", move="none", insurance="employee"),
     {"marriage-registration"}),
    ("名字が変わり、市外から転入、会社員、児童手当、普通車、実印", "marriage",
     dict(name_change="yes", move="into_city", insurance="employee", allowance="yes",
          seal="yes", licence="yes", passport="no", car="standard"),
     {"marriage-registration", "moving-in", "employer-health-insurance",
      "child-allowance-claim", "seal-registration", "driving-licence-change",
      "vehicle-registration-change", "parking-certificate"}),
    ("名字が変わり、国保のまま、引っ越さない", "marriage",
     dict(name_change="yes", move="none", insurance="nhi", dependent="no", allowance="no",
          seal="no", licence="no", passport="no", car="none"),
     {"marriage-registration", "nhi-change"}),
    ("名字は変わらず、国保のまま市外へ転出、児童手当を受給", "marriage",
     dict(name_change="no", move="out_of_city", insurance="nhi", dependent="no",
          allowance="yes", licence="no", car="none"),
     {"marriage-registration", "moving-out", "child-allowance-termination"}),
    ("名字は変わらず、国保のまま市外から転入", "marriage",
     dict(name_change="no", move="into_city", insurance="nhi", dependent="no",
          allowance="no", licence="no", car="none"),
     {"marriage-registration", "moving-in", "nhi-enrollment"}),
    ("名字が変わり、児童手当を受給、引っ越さない", "marriage",
     dict(name_change="yes", move="none", insurance="other", allowance="yes", seal="no",
          licence="no", passport="no", car="none"),
     {"marriage-registration", "child-allowance-change"}),
    # --- 離婚 --------------------------------------------------------------------------------
    ("子を引き取り旧姓に戻る、扶養から国保へ、相手が児童手当を受給", "divorce",
     dict(name="back", children="yes", custody="yes", allowance="spouse", child_surname="yes",
          insurance="dependent", under60="yes", move="none", seal="no", licence="yes",
          passport="no", car="none"),
     {"divorce-registration", "nhi-enrollment", "national-pension-enrollment",
      "child-rearing-allowance-claim", "single-parent-medical-subsidy",
      "child-medical-subsidy-change", "child-allowance-claim", "child-surname-change",
      "driving-licence-change"}),
    ("子はいない、婚姻中の名字を使い続ける、会社員", "divorce",
     dict(name="keep", children="no", insurance="own", move="none"),
     {"divorce-registration", "divorce-surname-keep"}),
    ("子を相手が引き取る、自分が児童手当を受給、国保、市内で転居", "divorce",
     dict(name="same", children="yes", custody="no", allowance="me", insurance="nhi",
          move="within", licence="no", car="none"),
     {"divorce-registration", "moving-within", "nhi-change", "child-allowance-termination"}),
    ("子を引き取り市外へ転出、自分が児童手当を受給", "divorce",
     dict(name="back", children="yes", custody="yes", allowance="me", child_surname="no",
          insurance="own", move="out_of_city", seal="no", licence="no", passport="no",
          car="none"),
     {"divorce-registration", "moving-out", "employer-health-insurance",
      "child-allowance-termination"}),
    ("子を引き取り旧姓に戻る、国保、市内で転居、実印・パスポート・普通車", "divorce",
     dict(name="back", children="yes", custody="yes", allowance="me", child_surname="no",
          insurance="nhi", move="within", seal="yes", licence="no", passport="yes",
          car="standard"),
     {"divorce-registration", "moving-within", "nhi-change", "child-rearing-allowance-claim",
      "single-parent-medical-subsidy", "child-medical-subsidy-change", "child-allowance-change",
      "seal-registration", "passport-change", "family-register-certificate",
      "vehicle-registration-change", "parking-certificate"}),
    # --- 死亡 --------------------------------------------------------------------------------
    ("78歳の年金受給者、土地と普通車、配偶者と二人暮らし", "death",
     dict(age="over75", pension="yes", survivors="yes", householder="yes", remaining="no",
          income="no", real_estate="yes", large_estate="no", licence="yes", car="standard",
          dog="no"),
     {"death-registration", "cremation-permit", "late-elderly-funeral-expenses",
      "late-elderly-insurance-loss", "care-insurance-loss", "pension-death-notification",
      "unpaid-pension-claim", "survivor-pension-claim", "inheritance-registration",
      "driving-licence-return", "vehicle-registration-change"}),
    ("45歳の会社員、配偶者と子を扶養、世帯主、児童手当を受給", "death",
     dict(age="from40to64", insurance="employee", dependents=["spouse_under60", "others"],
          care_cert="no", pension="no", survivors="yes", householder="yes", remaining="yes",
          income="no", real_estate="no", large_estate="no", licence="yes", car="kei",
          child_allowance="yes", dog="no"),
     {"death-registration", "cremation-permit", "employer-health-insurance", "nhi-enrollment",
      "national-pension-enrollment", "survivor-pension-claim", "household-change",
      "driving-licence-return", "vehicle-registration-change", "child-allowance-unpaid-claim",
      "child-allowance-claim"}),
    ("35歳の自営業、国保、確定申告あり、犬の飼い主", "death",
     dict(age="under40", insurance="nhi", pension="no", survivors="no", householder="no",
          income="yes", real_estate="no", large_estate="no", licence="no", car="none",
          child_allowance="no", dog="yes"),
     {"death-registration", "cremation-permit", "nhi-funeral-expenses",
      "quasi-income-tax-return", "dog-registration-change"}),
    ("70歳の国保の世帯主、不動産と多くの財産", "death",
     dict(age="from65to74", insurance="nhi", pension="yes", survivors="no", householder="yes",
          remaining="yes", income="yes", real_estate="yes", large_estate="yes", licence="no",
          car="none", dog="no"),
     {"death-registration", "cremation-permit", "nhi-funeral-expenses", "nhi-change",
      "care-insurance-loss", "pension-death-notification", "unpaid-pension-claim",
      "household-change", "quasi-income-tax-return", "inheritance-registration",
      "inheritance-tax-return"}),
    ("55歳の国保、要介護認定あり", "death",
     dict(age="from40to64", insurance="nhi", care_cert="yes", pension="no", survivors="no",
          householder="no", income="no", real_estate="no", large_estate="no", licence="no",
          car="none", child_allowance="no", dog="no"),
     {"death-registration", "cremation-permit", "nhi-funeral-expenses", "care-insurance-loss"}),
    # --- 就職・退職 ---------------------------------------------------------------------------
    ("国保の人が会社に就職", "job",
     dict(kind="start", before="nhi", civil_servant="no"),
     {"employer-health-insurance", "nhi-withdrawal"}),
    ("公務員に就職、児童手当を受けている", "job",
     dict(kind="start", before="dependent", civil_servant="yes", children="yes"),
     {"employer-health-insurance", "child-allowance-termination"}),
    ("退職して国保へ、60歳未満、仕事をさがす", "job",
     dict(kind="leave", after="nhi", under60="yes", seeking="yes", civil_servant="no"),
     {"nhi-enrollment", "national-pension-enrollment", "unemployment-benefit"}),
    ("退職して任意継続、60歳未満、仕事をさがす", "job",
     dict(kind="leave", after="continuation", under60="yes", seeking="yes",
          civil_servant="no"),
     {"health-insurance-continuation", "national-pension-enrollment", "unemployment-benefit"}),
    ("60歳以上で退職して国保、仕事はさがさない", "job",
     dict(kind="leave", after="nhi", under60="no", seeking="no", civil_servant="no"),
     {"nhi-enrollment"}),
    ("公務員を退職してすぐ民間に就職、子がいる", "job",
     dict(kind="leave", after="new_job", civil_servant="yes", children="yes"),
     {"employer-health-insurance", "child-allowance-claim"}),
    ("退職して家族の扶養に入る", "job",
     dict(kind="leave", after="dependent", seeking="no", civil_servant="no"),
     {"employer-health-insurance"}),
    # --- 介護 --------------------------------------------------------------------------------
    ("70歳で介護が必要に、自宅で手すりを付けたい", "care",
     dict(age="over65", status="new", card="yes", home="yes", works=["renovation"],
          facility="no"),
     {"care-need-certification", "care-plan-request-notification", "home-renovation-subsidy"}),
    ("50歳、脳卒中（特定疾病）で介護が必要に", "care",
     dict(age="from40to64", disease="yes", status="new", home="no", facility="no"),
     {"care-need-certification"}),
    ("50歳、特定疾病ではない", "care",
     dict(age="from40to64", disease="no"),
     set()),
    ("80歳、状態が変わった、保険証をなくした、施設を利用、高額の案内", "care",
     dict(age="over65", status="changed", card="no", copay_card="yes", home="no",
          facility="yes", high_cost="yes"),
     {"care-need-change", "care-insurance-card-reissue", "care-cost-limit-certification",
      "high-cost-care-benefit"}),
    ("更新の時期、負担割合証をなくした、福祉用具を買う", "care",
     dict(age="over65", status="renewal", card="yes", copay_card="no", home="yes",
          works=["equipment"], facility="no", high_cost="no"),
     {"care-need-renewal", "care-insurance-copayment-card-reissue",
      "care-plan-request-notification", "welfare-equipment-purchase"}),
    ("30歳で介護が必要に", "care",
     dict(age="under40"),
     set()),
    # --- 子育て ------------------------------------------------------------------------------
    ("妊娠がわかった", "childcare",
     dict(stage=["pregnant"]),
     {"pregnancy-notification"}),
    ("0〜2歳、児童手当も医療費助成もまだ、保育を使いたい", "childcare",
     dict(stage=["age_0_2"], allowance="no", medical="no", daycare="want", single="no"),
     {"child-allowance-claim", "child-medical-subsidy", "childcare-eligibility",
      "childcare-admission"}),
    ("小学生、ひとり親になった", "childcare",
     dict(stage=["school"], allowance="yes", medical="yes", single="new"),
     {"child-rearing-allowance-claim", "single-parent-medical-subsidy"}),
    ("3〜5歳が保育所に通う、児童扶養手当を受けている", "childcare",
     dict(stage=["age_3_5"], allowance="yes", medical="yes", daycare="using",
          single="receiving"),
     {"childcare-status-report", "child-rearing-allowance-status-report"}),
    ("妊娠中で0〜2歳の子もいる、手続は済んでいる", "childcare",
     dict(stage=["pregnant", "age_0_2"], allowance="yes", medical="yes", daycare="none",
          single="no"),
     {"pregnancy-notification"}),
]


@pytest.mark.parametrize(("event", "answers", "expected"), [s[1:] for s in SCENARIOS],
                         ids=[s[0] for s in SCENARIOS])
def test_household_and_event_give_exactly_these_procedures(event, answers, expected):
    assert procedures(event, answers) == expected


def test_the_table_covers_every_event_with_at_least_forty_scenarios():
    assert len(SCENARIOS) >= 40
    assert {s[1] for s in SCENARIOS} == set(events())
    assert len({s[0] for s in SCENARIOS}) == len(SCENARIOS)  # readable, distinct names


def test_every_rule_is_exercised_by_some_scenario():
    """A rule no scenario reaches is untested; each procedure in the files appears somewhere."""
    reached = {(s[1], code) for s in SCENARIOS for code in s[3]}
    named = {(event.id, rule.procedure) for event in events().values() for rule in event.rules}
    assert named - reached == set()
