"""The phone ticket page's language switch keeps the visitor on their ticket; the kiosk and its
printed ticket carry no link that leaves the kiosk."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from queue_support import issue, load_counters, purpose, today_at

pytestmark = pytest.mark.django_db


class Links(HTMLParser):
    """Every <a href> of a page, with its attributes; and the <html lang>."""

    def __init__(self):
        super().__init__()
        self.links: list[dict] = []
        self.lang = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs)
        if tag == "html":
            self.lang = attrs.get("lang", "")


def parsed(response) -> Links:
    assert response.status_code in (200, 400), response.status_code
    page = Links()
    page.feed(response.content.decode())
    return page


@pytest.fixture
def ticket(city):
    load_counters(city)
    return issue(purpose(city, "jumin", "tennyu"), "lang-switch", today_at(9))


def switch_of(page: Links) -> dict[str, str]:
    return {a["data-lang"]: a["href"] for a in page.links if "data-lang" in a}


@pytest.mark.parametrize("lang", ["ja", "en", "easy"])
def test_each_language_is_offered_and_keeps_the_ticket(client, ticket, lang):
    status = f"/queue/t/{ticket.token}/"
    page = parsed(client.get(f"{status}?lang={lang}"))
    switch = switch_of(page)
    assert set(switch) == {"ja", "en", "easy"}
    current = [a["data-lang"] for a in page.links if a.get("aria-current") == "page"]
    assert current == [lang]
    for code, href in switch.items():
        parts = urlsplit(href)
        assert parts.path == status and parse_qs(parts.query) == {"lang": [code]}
        assert parsed(client.get(href)).lang == ("en" if code == "en" else "ja")


def test_the_switch_after_a_refused_notice_still_points_at_the_ticket(client, ticket):
    """The refused form is drawn at …/notice/ (POST only): a bare ?lang= link would 405."""
    response = client.post(f"/queue/t/{ticket.token}/notice/?lang=en",
                           {"lang": "en", "email": "not-an-address", "remaining": "3"})
    assert response.status_code == 400
    switch = switch_of(parsed(response))
    assert set(switch) == {"ja", "en", "easy"}
    assert {urlsplit(href).path for href in switch.values()} == {f"/queue/t/{ticket.token}/"}


def leaves_the_kiosk(href: str) -> bool:
    parts = urlsplit(href)
    return not (href.startswith("#") or (not parts.netloc and parts.path.startswith("/queue/kiosk/")))


@pytest.mark.parametrize("lang", ["ja", "en", "easy"])
def test_the_kiosk_pages_have_no_link_out(client, ticket, lang):
    pages = {
        "kiosk": client.get(f"/queue/kiosk/?lang={lang}"),
        "ticket": client.get(f"/queue/kiosk/ticket/{ticket.token}/?lang={lang}"),
        "refused": client.post("/queue/kiosk/issue/", {"lang": lang}),
    }
    for name, response in pages.items():
        page = parsed(response)
        assert page.links, name
        assert [a["href"] for a in page.links if leaves_the_kiosk(a["href"])] == [], name
    assert response.status_code == 400  # the refused issue is drawn at /kiosk/issue/
    assert set(switch_of(parsed(pages["refused"])).values()) == {
        f"/queue/kiosk/?lang={code}" for code in ("ja", "en", "easy")}
