"""No template source reaches a person.

Every page any test renders is checked by the hook at the end of tests/conftest.py; these tests
prove that the hook catches what it should (and nothing in scripts), and that no template file
holds source Django's own lexer would leave as text (a `{# #}` comment written over two lines).
"""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.template import Context, Template
from django.template.base import Lexer, TokenType
from django.urls import path

import conftest
from conftest import template_source_in

LEAKED = "{# The visitor's view:\n   two lines #}<h1>ようこそ</h1>"


def _leaky(request):
    return HttpResponse(Template(LEAKED).render(Context()))


def _fine(request):
    return HttpResponse(Template("{# one line #}<h1>ようこそ</h1><script>{% verbatim %}const a = {{}};{% endverbatim %}</script>")
                        .render(Context()))


urlpatterns = [path("leaky/", _leaky), path("fine/", _fine)]


def test_a_comment_over_two_lines_is_shown_as_text_by_django():
    assert template_source_in(Template(LEAKED).render(Context()))


@pytest.mark.parametrize("html", [
    "<p>{{ name }}</p>", "<p>{% if x %}</p>", "<p>{# note #}</p>", '<input value="{{ v }}">',
    "<pre>x</pre><p>{% endif %}</p>",
])
def test_source_in_text_or_attributes_is_found(html):
    assert template_source_in(html)


@pytest.mark.parametrize("html", [
    "<script>if (a) {{}}</script>", "<pre>{% raw %}</pre>", "<code>{{ x }}</code>",
    "<textarea>{# typed #}</textarea>", "<style>a{{}}</style>", "<!-- {{ x }} -->", "<p>{ # } { % }</p>",
])
def test_source_inside_scripts_and_verbatim_elements_is_not_shown(html):
    assert template_source_in(html) == []


def test_the_hook_records_a_page_with_template_source(client, settings, city):
    settings.ROOT_URLCONF = __name__
    assert client.get("/fine/").status_code == 200
    assert conftest._leaked_template_source == []
    assert client.get("/leaky/").status_code == 200
    assert len(conftest._leaked_template_source) == 1
    assert "/leaky/" in conftest._leaked_template_source[0]
    conftest._leaked_template_source.clear()  # caught: this test itself must pass


def _templates():
    folders = [Path(d) for engine in django_settings.TEMPLATES for d in engine.get("DIRS", [])]
    folders += [p for p in Path(django_settings.BASE_DIR).rglob("templates") if ".venv" not in p.parts]
    return sorted({f for folder in folders for f in folder.rglob("*") if f.suffix in {".html", ".txt"}})


def test_templates_exist_to_check():
    assert any(f.name == "_tablet_visit.html" for f in _templates())


@pytest.mark.parametrize("template", _templates(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_template_leaves_source_as_text(template):
    """Django's lexer reads `{# … #}` on one line only: the rest stays text on the page."""
    tokens = Lexer(template.read_text(encoding="utf-8")).tokenize()
    leaked = [t.contents[:80] for t in tokens if t.token_type == TokenType.TEXT
              and any(mark in t.contents for mark in ("{#", "{%", "{{"))]
    assert leaked == []
