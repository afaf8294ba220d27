"""Shared helpers of the survey tests: a survey link read back into its token."""

import re
from urllib.parse import urlsplit

from django.urls import resolve

LINK = re.compile(r'id="survey-link" href="([^"]+)"')


def link_on(page: str) -> str:
    """The survey link on a page (fails the test when there is none)."""
    found = LINK.search(page)
    assert found, "no survey invite on the page"
    return found.group(1).replace("&amp;", "&")


def token_of(url: str) -> str:
    match = resolve(urlsplit(url).path)
    assert match.view_name == "feedback:answer"
    return match.kwargs["token"]
