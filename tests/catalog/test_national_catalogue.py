"""The national base catalogue holds what residents need for their life events, each marked
with where it is done; the demo city offers every procedure its departments handle."""

import pytest

from madoguchi.catalog.i18n import localized
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import Channel
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.i18n.content import Fallback

# code → (channel, department or office, statutory days from the event or None)
REQUIRED = {
    # 引越し・住民記録
    "moving-in": ("counter", "shimin", 14),
    "moving-in-reservation": ("mynaportal", "shimin", None),
    "moving-out": ("mynaportal", "shimin", None),
    "moving-within": ("counter", "shimin", 14),
    "household-change": ("counter", "shimin", 14),
    "residence-certificate-copy": ("online", "shimin", None),
    "seal-registration": ("counter", "shimin", None),
    "seal-certificate": ("counter", "shimin", None),
    "family-register-certificate": ("online", "shimin", None),
    # 戸籍
    "birth-registration": ("counter", "shimin", 14),
    "marriage-registration": ("counter", "shimin", None),
    "death-registration": ("counter", "shimin", 7),
    # 国保・年金
    "nhi-enrollment": ("counter", "kokuho", 14),
    "nhi-withdrawal": ("online", "kokuho", 14),
    "national-pension-enrollment": ("counter", "kokuho", 14),
    # 子育て・くらし
    "child-allowance-claim": ("online", "kodomo", 15),
    "child-medical-subsidy": ("online", "kodomo", None),
    "dog-registration": ("online", "kankyo", None),
    "disaster-certificate": ("online", "zeimu", None),
    # What real cities' checklists list beside them (docs/catalogue.md, the comparison)
    "nhi-loss-moving-out": ("counter", "kokuho", 14),
    "nhi-loss-death": ("counter", "kokuho", 14),
    "late-elderly-enrollment": ("counter", "kokuho", 14),
    "late-elderly-address-change": ("counter", "kokuho", 14),
    "late-elderly-loss-moving-out": ("counter", "kokuho", 14),
    "care-insurance-address-change": ("counter", "kaigo", 14),
    "care-insurance-loss-moving-out": ("counter", "kaigo", 14),
    "disability-handbook-address-change": ("counter", "fukushi", None),
    "disability-handbook-return": ("counter", "fukushi", None),
    "moped-plate-issue": ("counter", "zeimu", None),
    "moped-plate-return": ("counter", "zeimu", None),
    "seal-registration-abolition": ("counter", "shimin", None),
    "tax-administrator-appointment": ("counter", "zeimu", None),
    "fixed-asset-tax-heir-representative": ("counter", "zeimu", None),
    "mynumber-card-abroad": ("counter", "shimin", None),
    "child-rearing-allowance-change": ("counter", "kodomo", None),
    "school-attendance-aid": ("online", "kyoiku", None),
    "vaccination-moving-in": ("online", "kenko", None),
    # 市役所以外
    "pension-lump-sum-withdrawal": ("elsewhere", "年金事務所", None),
    "pension-death-notification": ("elsewhere", "年金事務所", None),
    "driving-licence-change": ("elsewhere", "警察署", None),
    "quasi-income-tax-return": ("elsewhere", "税務署", None),
    "inheritance-registration": ("elsewhere", "法務局", None),
}

# The 26 子育て・介護 procedures that the national government asks every city to put online.
NATIONAL_26 = [
    "child-allowance-claim", "child-allowance-amount-revision", "child-allowance-change",
    "child-allowance-termination", "child-allowance-unpaid-claim", "child-allowance-donation",
    "child-allowance-donation-change", "child-allowance-school-fee-deduction",
    "child-allowance-school-fee-deduction-change", "child-allowance-status-report",
    "childcare-eligibility", "childcare-admission", "childcare-status-report",
    "child-rearing-allowance-status-report", "pregnancy-notification",
    "care-need-certification", "care-need-renewal", "care-need-change",
    "care-plan-request-notification", "care-insurance-copayment-card-reissue",
    "care-insurance-card-reissue", "high-cost-care-benefit", "care-cost-limit-certification",
    "welfare-equipment-purchase", "home-renovation-subsidy", "care-certification-after-move",
]


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_required_procedure_is_where_the_law_puts_it(code):
    channel, where, days = REQUIRED[code]
    procedure = catalog()[code]
    assert procedure.channel == channel
    assert (procedure.office if channel == "elsewhere" else procedure.department) == where
    if days is not None:
        assert procedure.deadline_days == days


def test_the_26_childcare_and_care_procedures_are_all_online():
    assert len(NATIONAL_26) == 26
    assert all(catalog()[code].channel == Channel.ONLINE for code in NATIONAL_26)


@pytest.mark.parametrize("code", sorted(catalog()))
def test_every_procedure_speaks_english_and_easy_japanese(code):
    procedure = catalog()[code]
    english, easy = localized(procedure, "en").title, localized(procedure, "ja-easy").title
    assert not isinstance(english, Fallback) and not isinstance(easy, Fallback)
    assert english.strip() and english.isascii() and easy.strip()
    assert procedure.legal_basis.strip()


def test_other_offices_are_named_not_hidden():
    offices = {p.office for p in catalog().values() if p.channel == Channel.ELSEWHERE}
    assert {"年金事務所", "警察署", "税務署", "法務局"} <= offices


@pytest.mark.django_db
def test_the_demo_city_offers_every_national_procedure(city):
    missing = [code for code in catalog() if get_procedure(city, code) is None]
    assert missing == []
