"""The procedure overrides and fees pages (/staff/city/procedures/), walked systematically: every
route, called by every kind of caller, on both cities' hosts, with a procedure both cities have
and one only the first city has (its own file).

Only an administrator of the city the host serves gets in (anonymous callers and residents go to
the staff login; clerks, approvers, a superuser without the row and the other city's
administrator get 403). Inside, a procedure the city does not have is not found (404), and
nothing of the other city changes, whatever is posted. ROUTES must name every route of
procedure_urls: adding one without walking it fails test_every_procedure_route_is_in_the_walk.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from madoguchi.administration import procedure_forms as forms
from madoguchi.administration import procedure_urls
from madoguchi.catalog import loader
from madoguchi.catalog.fees import quote
from madoguchi.catalog.models import ProcedureOverride
from madoguchi.core.models import AuditEvent, CityAdministrator, Municipality

from conftest import login_resident

pytestmark = pytest.mark.django_db

HOSTS = {"demo": "testserver", "other": "other.example.jp"}
SHARED = "dog-registration"  # in both cities' catalogues
LOCAL = "bulky-waste-collection"  # the demo city's own file: not in the other city's


@pytest.fixture(autouse=True)
def _fresh_catalogue():
    """A test's saved overrides are rolled back without a signal: each test starts and ends
    with no copy of a city's catalogue kept from another."""
    loader.forget()
    yield
    loader.forget()


def _url(name, *args):
    return reverse(f"administration:{name}", args=args)


def _save(slug: str, code: str) -> dict:
    """A whole valid form for `code` as `slug`'s files state it, with a window of the walk's."""
    procedure = loader.files_for(slug).get(code) or loader.files_for("demo")[code]
    found = forms.initial(procedure)
    data = {"_action": "save", "line_count": str(len(found.lines)), "window": f"巡回窓口 {slug}",
            "fee_note": found.fee_note, "revenue_code": found.revenue_code}
    for line in found.lines:
        data |= {f"line-{line.index}-{n}": getattr(line, n) for n in ("code", "label", "unit_yen", "per", "origin")}
    data["exemption_count"] = str(len(found.exemptions))
    for ex in found.exemptions:
        data |= {f"exemption-{ex.index}-{n}": getattr(ex, n) for n in ("origin", "label", "legal_reason", "lines")}
    return data


# URL name → the requests to make for one procedure code on one host's city: (method, url, data,
# whether it changes something when allowed). In this order.
ROUTES = {
    "procedures": lambda slug, code: [("get", _url("procedures"), None, False)],
    "procedure": lambda slug, code: [
        ("get", _url("procedure", code), None, False),
        ("post", _url("procedure", code), _save(slug, code), True),
        ("post", _url("procedure", code), _save(slug, code) | {"_action": "add_line"}, False)],
    "procedure_withdraw": lambda slug, code: [("post", _url("procedure_withdraw", code), None, True)],
    "procedure_reinstate": lambda slug, code: [("post", _url("procedure_reinstate", code), None, True)],
    "procedure_reset": lambda slug, code: [("post", _url("procedure_reset", code), None, True)],
}
WITHOUT_CODE = {"procedures"}

IDENTITIES = ["anonymous", "resident", "clerk", "approver", "superuser", "demo-admin", "other-admin"]


def test_every_procedure_route_is_in_the_walk():
    assert {p.name for p in procedure_urls.urlpatterns} == set(ROUTES)
    for pattern in procedure_urls.urlpatterns:
        assert (pattern.name in WITHOUT_CODE) == ("<" not in str(pattern.pattern)), pattern.name


def _admin(city, username):
    user = get_user_model().objects.create_user(username, password="x-pass-2026")
    CityAdministrator.objects.create(user=user, municipality=city)
    return user


@pytest.fixture
def who(settings, city, other_city, staff, resident, django_user_model):
    settings.ALLOWED_HOSTS = [*HOSTS.values()]
    found = {
        "anonymous": (None, None),
        "resident": (None, resident),
        "clerk": (staff["kankyo-tanto"], None),
        "approver": (staff["kankyo-kacho"], None),
        "superuser": (django_user_model.objects.create_superuser("root", password="x-pass-2026"), None),
        "demo-admin": (_admin(city, "demo-admin"), None),
        "other-admin": (_admin(other_city, "other-admin"), None),
    }
    assert set(found) == set(IDENTITIES)
    return found


def _state(slug: str) -> tuple:
    """Everything of one city these pages can change: its rows, and what its catalogue says."""
    rows = sorted(ProcedureOverride.objects.filter(municipality__slug=slug)
                  .values_list("procedure_code", "data", "withdrawn"))
    offered = loader.catalog_for(slug, language="ja")
    shown = {code: (p.window, quote(p, {}).total_yen) for code, p in offered.items() if code in (SHARED, LOCAL)}
    return rows, shown


def _expected(name: str, host: str, code: str) -> str:
    if name in ("anonymous", "resident"):
        return "login"
    if name != f"{host}-admin":
        return "forbidden"
    return "missing" if code == LOCAL and host == "other" else "ok"


@pytest.mark.parametrize("name", IDENTITIES)
def test_procedure_pages_walk(client, who, name):
    user, resident = who[name]
    client.logout()
    if user is not None:
        client.force_login(user)
    elif resident is not None:
        login_resident(client, resident)
    slugs = {host: Municipality.objects.get(slug=host).slug for host in HOSTS}
    for host, hostname in HOSTS.items():
        other = "other" if host == "demo" else "demo"
        for route, build in ROUTES.items():
            for code in ([SHARED] if route in WITHOUT_CODE else [SHARED, LOCAL]):
                for method, url, data, changes in build(slugs[host], code):
                    where = f"{name} {method} {url} @{host}"
                    before = {key: _state(key) for key in HOSTS}
                    events = AuditEvent.objects.count()
                    response = getattr(client, method)(url, data or {}, HTTP_HOST=hostname)
                    after = {key: _state(key) for key in HOSTS}
                    expected = _expected(name, host, code)
                    if expected == "login":
                        assert response.status_code == 302, where
                        assert response["Location"].startswith(reverse("casework:login")), where
                    elif expected == "forbidden":
                        assert response.status_code == 403, where
                    elif expected == "missing":
                        assert response.status_code == 404, where
                    elif changes:
                        assert response.status_code == 302, (where, response.content.decode()[:2000])
                    else:
                        assert response.status_code == 200, where
                    assert after[other] == before[other], where  # never the other city
                    if expected == "ok" and changes:
                        assert after[host] != before[host], f"{where}: nothing changed"
                        assert AuditEvent.objects.count() == events + 1, where  # one event per change
                    else:
                        assert after == before, where
                        assert AuditEvent.objects.count() == events, where
                    if host == "other" and response.status_code == 200:
                        assert LOCAL not in response.content.decode(), where  # the demo city's own file
