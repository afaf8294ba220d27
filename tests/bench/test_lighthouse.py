"""bench/lighthouse.py without Lighthouse: the resident it prepares is really logged in (a
Lighthouse run on the form step would otherwise measure the login page and pass), and the
section it writes says which page misses a target."""

import os
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import lighthouse  # noqa: E402


@pytest.fixture
def prepared(city, client):
    call_command("load_queue_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return lighthouse.prepare()


def test_the_form_step_is_measured_logged_in(prepared, client):
    pages = {name: (path, logged_in) for name, path, logged_in in prepared["pages"]}
    assert set(pages) == {"home", "procedure", "navigator", "form step", "queue", "phone ticket"}
    step, logged_in = pages["form step"]
    assert logged_in
    anonymous = client.get(step)
    assert anonymous.status_code == 302  # without the cookie: the login page
    name, value = prepared["cookie"].split("=", 1)
    client.cookies[name] = value
    response = client.get(step)
    assert response.status_code == 200
    assert b"data-form" in response.content
    for name, (path, logged_in) in pages.items():
        if not logged_in:
            assert client.get(path).status_code == 200, name


def _page(name, performance, accessibility):
    return {"name": name, "path": "/", "performance": performance, "accessibility": accessibility,
            "lowest": performance, "fcp": 900.0, "lcp": 1100.0, "tbt": 30.0, "cls": 0.0,
            "bytes": 20000.0, "logged_in": False, "a11y_failed": ["target-size"] if accessibility < 100 else [],
            "perf_failed": [], "version": "12.8.2", "user_agent": "Chrome/156.0.0.0 Safari"}


def test_the_section_names_each_page_that_misses_a_target():
    from datetime import datetime

    section = lighthouse.render(
        [_page("home", 100, 100), _page("queue", 94, 100), _page("navigator", 100, 96)],
        {"p50": 1.0, "p95": 2.0, "count": 200}, {"shape": "test"},
        {"cpu": "cpu", "cores": 2, "ram": "1 GiB", "os": "Linux"}, "0.1 0.1 0.1",
        datetime.now().astimezone(), 10.0)
    assert section.startswith(lighthouse.BEGIN) and section.rstrip().endswith(lighthouse.END)
    assert "/api/health" in section
    misses = [line for line in section.splitlines() if "misses a target" in line]
    assert len(misses) == 2
    assert "queue" in misses[0] and "navigator" in misses[1] and "target-size" in misses[1]
    assert "Every page meets both targets" not in section
