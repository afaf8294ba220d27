"""A survey link: a signed token that carries what the answer will say about where it was asked,
and nothing about who was asked.

The token holds the city, the touchpoint (online or counter), the procedure and department it is
about, the language the resident was using, where to go back to afterwards (the counter tablet's
own page) and a random nonce. It is signed with Django's signing (HMAC under SECRET_KEY, with a
timestamp) so that nobody can forge a link for another procedure or answer a link twice by
editing it; it is not encrypted because nothing in it is personal. Each page view makes a new
link: a link made from the submission or the visit itself would let whoever holds the server's
key tell which answer came from which resident, and the answer is meant to be anonymous.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from madoguchi.core import i18n
from madoguchi.core.codes import keyed_digest
from madoguchi.feedback.models import Touchpoint

SALT = "madoguchi.feedback.survey"
LINK_DAYS = 14  # default of settings.MADOGUCHI_SURVEY_LINK_DAYS


def link_days() -> int:
    """How long a link can be answered: long enough to come back to it from the browser's
    history the same week, short enough that the record of used links (SurveyUse) stays small."""
    return int(getattr(settings, "MADOGUCHI_SURVEY_LINK_DAYS", LINK_DAYS))


class InvalidInvite(Exception):
    """A token that is not ours, was edited, is for another city, or has expired."""


@dataclass(frozen=True)
class Invite:
    city_id: int
    touchpoint: str
    procedure_code: str
    department_id: int | None
    language: str
    nonce: str
    back: str = ""  # a local path to return to after answering (the counter tablet), else ""

    @property
    def digest(self) -> str:
        """What SurveyUse keeps of a used link: a keyed hash of the nonce, never the nonce."""
        return keyed_digest(f"survey-use:{self.nonce}")


def make_token(city, touchpoint: str, procedure_code: str = "", department=None,
               language: str = i18n.DEFAULT, back: str = "") -> str:
    payload = {
        "c": city.pk,
        "t": Touchpoint(touchpoint).value,
        "p": procedure_code or "",
        "d": getattr(department, "pk", department),
        "l": i18n.supported(language) or i18n.DEFAULT,
        "n": secrets.token_urlsafe(16),
    }
    if back:
        payload["b"] = back
    return signing.dumps(payload, salt=SALT, compress=True)


def survey_url(city, touchpoint: str, procedure_code: str = "", department=None,
               language: str = i18n.DEFAULT, back: str = "") -> str:
    """The link shown to the resident: opens in the language they were using."""
    token = make_token(city, touchpoint, procedure_code, department, language, back)
    return i18n.with_language(reverse("feedback:answer", args=[token]), language)


def online_url(submission, language: str) -> str:
    """The invite after an online submission (the done page, or the payment's result page)."""
    return survey_url(submission.municipality, Touchpoint.ONLINE, submission.procedure_code,
                      submission.department_id, language)


def counter_url(city, cases, language: str, back: str) -> str:
    """The invite on the counter tablet after the visitor signed: about the one procedure (and
    department) of the visit when there was one, else about the visit as a whole ("" / None)."""
    codes = {case.procedure_code for case in cases}
    departments = {case.department_id for case in cases}
    return survey_url(city, Touchpoint.COUNTER, codes.pop() if len(codes) == 1 else "",
                      departments.pop() if len(departments) == 1 else None, language, back)


def read_token(token: str, city) -> Invite:
    """The invite in `token`, for this city; InvalidInvite for anything else a client may send."""
    try:
        payload = signing.loads(token[:2048], salt=SALT, max_age=link_days() * 86400)
        invite = Invite(
            city_id=int(payload["c"]), touchpoint=Touchpoint(payload["t"]).value,
            procedure_code=str(payload["p"])[:64],
            department_id=int(payload["d"]) if payload["d"] is not None else None,
            language=i18n.supported(payload["l"]) or i18n.DEFAULT, nonce=str(payload["n"]),
            back=str(payload.get("b", "")))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidInvite from None
    if city is None or invite.city_id != city.pk:
        raise InvalidInvite
    if invite.back and not (invite.back.startswith("/")
                            and url_has_allowed_host_and_scheme(invite.back, allowed_hosts=None)):
        raise InvalidInvite
    return invite
