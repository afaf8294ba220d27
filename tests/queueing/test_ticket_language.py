"""The phone ticket page's language switch keeps the visitor on their ticket; the kiosk and its
printed ticket carry no link that leaves the kiosk."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
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


CODES = [code for code, _name in settings.LANGUAGES]


def html_lang_of(code: str) -> str:
    return {"ja-easy": "ja", "zh-hans": "zh-Hans", "pt-br": "pt-BR"}.get(code, code)


def switch_of(page: Links) -> dict[str, str]:
    return {a["data-lang"]: a["href"] for a in page.links if "data-lang" in a}


@pytest.mark.parametrize("lang", ["ja", "en", "ja-easy", "vi"])
def test_each_language_is_offered_and_keeps_the_ticket(client, ticket, lang):
    status = f"/queue/t/{ticket.token}/"
    page = parsed(client.get(f"{status}?lang={lang}"))
    switch = switch_of(page)
    assert set(switch) == set(CODES)
    current = [a["data-lang"] for a in page.links if a.get("aria-current") == "page"]
    assert current == [lang]
    for code, href in switch.items():
        parts = urlsplit(href)
        assert parts.path == status and parse_qs(parts.query) == {"lang": [code]}
        assert parsed(client.get(href)).lang == html_lang_of(code)


def test_the_switch_after_a_refused_notice_still_points_at_the_ticket(client, ticket):
    """The refused form is drawn at …/notice/ (POST only): a bare ?lang= link would 405."""
    response = client.post(f"/queue/t/{ticket.token}/notice/?lang=en",
                           {"lang": "en", "email": "not-an-address", "remaining": "3"})
    assert response.status_code == 400
    switch = switch_of(parsed(response))
    assert set(switch) == set(CODES)
    assert {urlsplit(href).path for href in switch.values()} == {f"/queue/t/{ticket.token}/"}


def leaves_the_kiosk(href: str) -> bool:
    parts = urlsplit(href)
    return not (href.startswith("#") or (not parts.netloc and parts.path.startswith("/queue/kiosk/")))


@pytest.mark.parametrize("lang", ["ja", "en", "ja-easy"])
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
    assert set(switch_of(parsed(pages["refused"])).values()) == {f"/queue/kiosk/?lang={code}" for code in CODES}


def test_back_to_the_start_returns_the_shared_kiosk_to_japanese(client, ticket):
    """A visitor's language is for that visitor: the ticket's way back (and the kiosk's own
    home link) opens the kiosk in Japanese for the next one, not in the last visitor's choice."""
    client.get("/queue/kiosk/?lang=vi")
    page = parsed(client.get(f"/queue/kiosk/ticket/{ticket.token}/"))
    assert page.lang == "vi"
    back = [a["href"] for a in page.links if "data-kiosk-return" in a]
    assert back == ["/queue/kiosk/?lang=ja"]
    assert parsed(client.get(back[0])).lang == "ja"
    assert parsed(client.get("/queue/kiosk/")).lang == "ja"  # the next visitor


def test_the_ticket_qr_carries_the_visitors_language(client, city):
    load_counters(city)
    client.get("/queue/kiosk/?lang=ko")
    page = client.get("/queue/kiosk/")
    form_token = page.context["form_token"]
    chosen = purpose(city, "jumin", "tennyu")
    response = client.post("/queue/kiosk/issue/", {"purpose": chosen.pk, "form_token": form_token})
    assert response.status_code == 302 and parse_qs(urlsplit(response["Location"]).query) == {"lang": ["ko"]}
    ticket_page = client.get(response["Location"])
    status_url = ticket_page.context["status_url"]
    assert parse_qs(urlsplit(status_url).query) == {"lang": ["ko"]}
    from madoguchi.queueing.models import Ticket

    assert Ticket.objects.get(form_token=form_token).language == "ko"
