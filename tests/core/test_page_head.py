"""What every page's <head> promises a phone: an icon, nothing that blocks the first paint but
one small stylesheet, and static files that exist under their names (hashed in production).

Lighthouse (bench/lighthouse.py) measures the pages; these are the rules behind its scores.
"""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from madoguchi.applications import services
from madoguchi.catalog.selectors import get_procedure
from madoguchi.queueing import services as queue_services
from madoguchi.queueing.models import VisitPurpose

from conftest import login_resident

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "madoguchi"
# A stylesheet blocks the first paint until it has arrived; on a slow phone every kilobyte
# counts. The budget is per page, all stylesheets together, before compression.
CSS_BUDGET = 16 * 1024
SCRIPT_BUDGET = 16 * 1024


class Head(HTMLParser):
    """The <html lang>, <link> and <script> elements of a page, and its viewport meta."""

    def __init__(self):
        super().__init__()
        self.links, self.scripts, self.metas, self.lang = [], [], [], None
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "head":
            self.in_head = True
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script":
            self.scripts.append({**attrs, "in_head": self.in_head})
        elif tag == "meta":
            self.metas.append(attrs)

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def parse(html: str) -> Head:
    head = Head()
    head.feed(html)
    return head


@pytest.fixture
def pages(city, client, resident):
    """name → (client, path) for the pages residents open most, and the plain pages around them."""
    call_command("load_queue_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    procedure = get_procedure(city, "dog-registration-change")
    draft = services.start_draft(resident, procedure)
    purpose = VisitPurpose.objects.filter(group__municipality=city).order_by("pk").first()
    ticket, _ = queue_services.issue_ticket(purpose, form_token="head-test")
    resident_client = login_resident(Client(), resident)
    return {
        "home": (client, "/"),
        "procedure": (client, reverse("applications:procedure", args=[procedure.code])),
        "navigator": (client, reverse("navigator:events")),
        "form step": (resident_client, reverse("applications:step", args=[draft.public_id, 0])),
        "queue": (client, reverse("queueing:congestion")),
        "phone ticket": (client, reverse("queueing:status", args=[ticket.token])),
        "kiosk": (client, reverse("queueing:kiosk")),
        "display": (client, reverse("queueing:display")),
        "login": (client, reverse("identity:login")),
        "staff login": (client, reverse("casework:login")),
        "bad request": (client, "/procedures/%00/"),
    }


def fetched(client, path: str):
    response = client.get(path)
    assert response.status_code in (200, 400), (path, response.status_code)
    return response


def test_favicon_ico_answers_at_the_root_and_is_kept(client, city):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert "max-age=86400" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_favicon_refuses_other_methods(client, city):
    assert client.post("/favicon.ico").status_code == 405


def test_every_page_links_its_icons_with_sizes_or_type(pages):
    for name, (client, path) in pages.items():
        head = parse(fetched(client, path).content.decode())
        icons = [link for link in head.links if link.get("rel") in ("icon", "apple-touch-icon")]
        rels = sorted(link["rel"] for link in icons)
        assert rels == ["apple-touch-icon", "icon", "icon"], name
        for link in icons:
            # The browser picks an icon by its size or type without downloading each one.
            assert link.get("sizes") or link.get("type") or link["rel"] == "apple-touch-icon", (name, link)
            assert finders.find(link["href"].removeprefix("/static/")), (name, link["href"])


def test_every_page_is_readable_on_a_phone(pages):
    for name, (client, path) in pages.items():
        head = parse(fetched(client, path).content.decode())
        assert head.lang, name
        viewports = [m for m in head.metas if m.get("name") == "viewport"]
        assert len(viewports) == 1, name
        content = viewports[0]["content"].replace(" ", "")
        assert "width=device-width" in content, name
        # Zooming stays possible (a WCAG rule Lighthouse checks).
        assert "user-scalable=no" not in content and "maximum-scale=1" not in content, name


def test_scripts_do_not_block_the_first_paint(pages):
    for name, (client, path) in pages.items():
        head = parse(fetched(client, path).content.decode())
        for script in head.scripts:
            assert script.get("src"), (name, "inline script")
            assert "defer" in script or "async" in script or script.get("type") == "module", (name, script)


def test_static_files_of_every_page_fit_their_budget(pages):
    for name, (client, path) in pages.items():
        head = parse(fetched(client, path).content.decode())
        sheets = [link["href"] for link in head.links if link.get("rel") == "stylesheet"]
        scripts = [script["src"] for script in head.scripts]
        for kind, urls, budget in (("css", sheets, CSS_BUDGET), ("js", scripts, SCRIPT_BUDGET)):
            sizes = {}
            for url in urls:
                assert url.startswith("/static/"), (name, url)  # nothing from another origin
                found = finders.find(url.removeprefix("/static/"))
                assert found, (name, url)
                sizes[url] = Path(found).stat().st_size
            assert sum(sizes.values()) <= budget, (name, kind, sizes)


def test_every_static_reference_in_the_templates_exists():
    """With the manifest storage (production) a missing file is an error on the page."""
    references = set()
    for template in TEMPLATES.rglob("templates/**/*.html"):
        references |= set(re.findall(r"""{%\s*static\s+['"]([^'"]+)['"]""", template.read_text()))
    assert "madoguchi/site.css" in references
    missing = sorted(ref for ref in references if not finders.find(ref))
    assert missing == []


def test_collected_static_files_carry_a_content_hash(tmp_path):
    """MADOGUCHI_STATIC_ROOT turns on the manifest storage: hashed names nginx keeps a year."""
    env = {**os.environ, "MADOGUCHI_STATIC_ROOT": str(tmp_path), "MADOGUCHI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"],
                   env={**env, "DJANGO_SETTINGS_MODULE": "madoguchi.settings"}, check=True,
                   capture_output=True)
    names = {p.name for p in (tmp_path / "madoguchi").iterdir()}
    assert any(re.fullmatch(r"site\.[0-9a-f]{12}\.css", n) for n in names), sorted(names)
    assert any(re.fullmatch(r"favicon\.[0-9a-f]{12}\.ico", n) for n in names), sorted(names)
    assert (tmp_path / "staticfiles.json").exists()
