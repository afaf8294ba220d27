"""支援措置: a request by someone else for a protected resident's 住民票の写し or 附票 waits for a
clerk's decision (住基法12条6項, 事務処理要領; register.protection says who is protected).

Which procedures are such requests, and where their forms name the people concerned, is data
(`CERTIFICATE_REQUESTS`, and the setting MADOGUCHI_PROTECTED_CERTIFICATES for a city's own
procedure, e.g. its 戸籍の附票の写し), not code: a new procedure with the same kind of form is
one entry.

When a new submission concerns a protected resident who is not the requester themselves,
`hold_if_needed` puts a `ProtectionHold` beside it. The hold is a guard, not a status: the
case stays 受付待ち and the requester is told nothing (no mail, no word on My Page; that
a request is held would itself tell the person the protection is against that it exists).
While it is pending `guard` lets only 取下げ (and the fee's payment, which the requester makes)
through; once refused, the case cannot be approved, only rejected through the usual 決裁.
The decision is the 支援措置担当's (casework/protection.py).

The check reads the register without a staff look-up audit event per person: it is not a
look-up shown to anyone. When it holds a request it writes one audit event
(`protection_hold`) with the register ids of the protected residents, never names.
"""

import json
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from madoguchi.applications.models import Channel, ProtectionHold, Submission
from madoguchi.applications.workflow import TransitionError
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.japanese import JapaneseInputError, kana_search_key, parse_date
from madoguchi.identity.jpki.profile import basic_info_from
from madoguchi.register import protection
from madoguchi.register.dates import born_on
from madoguchi.register.models import Resident
from madoguchi.register.selectors import matching_basic_info, members_of
from madoguchi.register.services import linked_resident


@dataclass(frozen=True)
class CertificateRequest:
    """Where a certificate procedure's form names whom the certificate is about: the requester
    (フリガナ and 生年月日 as typed), a choice of scope, and a group listing other persons.

    `scope` empty: the form has no such choice, and the certificate concerns the requester and
    every person listed in `persons`."""

    requester_name: str = "requester_name"
    requester_kana: str = "requester_kana"
    requester_birth_date: str = "requester_birth_date"
    scope: str = "scope"
    self_value: str = "self"  # 本人のみ
    household_value: str = "household"  # 世帯全員: the requester's household
    partial_value: str = "partial"  # 世帯の一部: the persons listed
    persons: str = "persons"
    person_kana: str = "kana"
    person_birth_date: str = "birth_date"

    @classmethod
    def of(cls, fields: dict) -> "CertificateRequest":
        """From a setting's mapping of field ids (unknown keys are refused by the dataclass)."""
        return cls(**fields)


# 住民票の写し (the national catalogue) and 戸籍の附票の写し (住基法20条): the code a city's
# procedure file for the 附票 takes, with a form like the 住民票's (requester_*, a `persons`
# group, no household scope since the 附票 follows the 戸籍).
CERTIFICATE_REQUESTS: dict[str, CertificateRequest] = {
    "residence-certificate-copy": CertificateRequest(),
    "family-register-attachment-copy": CertificateRequest(scope=""),
}


SETTING = "MADOGUCHI_PROTECTED_CERTIFICATES"


def _listed():
    """The setting: a mapping, or its JSON text (as the environment gives it)."""
    value = getattr(settings, SETTING, None) or {}
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def setting_problems() -> list[str]:
    """What is wrong with the setting, each naming the procedure code and the key: the system
    check (apps.py) reports them at start-up, before any request is filed."""
    listed = _listed()
    if not isinstance(listed, dict):
        return [f"{SETTING} must be a JSON object of procedure codes to field mappings"]
    known = set(CertificateRequest.__dataclass_fields__)
    problems = []
    for code, fields in listed.items():
        if not isinstance(fields, dict):
            problems.append(f"{SETTING}[{code!r}] must be a mapping of field names to field ids")
            continue
        problems += [f"{SETTING}[{code!r}]: unknown key {key!r} (known: {', '.join(sorted(known))})"
                     for key in fields if key not in known]
        problems += [f"{SETTING}[{code!r}][{key!r}] must be a field id (text)"
                     for key, value in fields.items() if key in known and not isinstance(value, str)]
    return problems


def rule_for(procedure_code: str) -> CertificateRequest | None:
    """The procedure's rule: the setting MADOGUCHI_PROTECTED_CERTIFICATES ({code: {field:
    id}}, `{}` for the defaults) adds to or replaces the built-in table. A wrong entry stops
    the filing (ImproperlyConfigured) rather than letting a request through unchecked."""
    listed = _listed()
    if listed is None:
        raise ImproperlyConfigured("; ".join(setting_problems()))
    if isinstance(listed, dict) and procedure_code in listed:
        try:
            return CertificateRequest.of(listed[procedure_code] or {})
        except TypeError:
            raise ImproperlyConfigured("; ".join(setting_problems())) from None
    return CERTIFICATE_REQUESTS.get(procedure_code)


class HeldForProtection(TransitionError):
    """The step waits for, or was refused by, the 支援措置担当's decision. `code` names which
    ("protection-hold-pending", "protection-hold-refused"); the staff pages word it."""

    def __init__(self, code: str):
        super().__init__("held for a protection decision" if code.endswith("pending")
                         else "refused by a protection decision")
        self.code = code


# What a pending hold lets through: the requester may withdraw, and a fee due at submit may be
# paid (refusing the payment would tell the requester something is going on).
WHILE_PENDING = {"withdraw", "payment_received"}


def guard(submission: Submission, action: str, detail: dict) -> None:
    """Refuse the transition (`action`, workflow.TRANSITIONS) that a hold stops; called by
    services.transition before anything is written. One indexed read per staff transition."""
    if action in WHILE_PENDING:
        return
    state = ProtectionHold.objects.filter(submission_id=submission.pk).values_list("state", flat=True).first()
    if state == ProtectionHold.State.PENDING:
        raise HeldForProtection("protection-hold-pending")
    if state == ProtectionHold.State.REFUSED and (
            action == "approve" or (action == "propose_decision" and detail.get("outcome") == "approve")):
        raise HeldForProtection("protection-hold-refused")


def hold_of(submission: Submission) -> ProtectionHold | None:
    return ProtectionHold.objects.filter(submission_id=submission.pk).first()


def pending_among(submission_ids) -> set[int]:
    """Of these cases, those held pending (one query, for a page of the queue)."""
    ids = list(submission_ids)
    if not ids:
        return set()
    return set(ProtectionHold.objects.filter(submission_id__in=ids, state=ProtectionHold.State.PENDING)
               .values_list("submission_id", flat=True))


# --- whom a request concerns --------------------------------------------------------------------


def _day(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return parse_date(str(value or ""))
    except JapaneseInputError:
        return None


def _matching(municipality, kana, birth_date) -> list[Resident]:
    """Residents of the city (any status: a 附票 follows people who moved out) with this
    フリガナ and 生年月日. Not audited (module docstring)."""
    key = kana_search_key(str(kana or ""))
    day = _day(birth_date)
    if not key or day is None:
        return []
    return list(Resident.objects.filter(born_on(day), municipality=municipality, kana_key=key)
                .only("pk", "household_id"))


def requester_of(submission: Submission, in_person: bool = True, signed_by=None) -> Resident | None:
    """Who the requester is, as far as the city knows: online, the account's register record
    (linked by the card's 基本4情報), else the one current resident the request's verified
    signing certificate (`signed_by`) names; at the counter, the resident the case is filed for
    when the clerk says the visitor is that person (`in_person`; not with a 代理人)."""
    if submission.channel == Channel.COUNTER:
        return submission.resident if in_person else None
    linked = linked_resident(submission.account) if submission.account_id else None
    if linked is not None or signed_by is None:
        return linked
    info = basic_info_from(signed_by)
    found = matching_basic_info(submission.municipality, info.name, info.birth_date, info.address)
    return found[0] if len(found) == 1 else None


def concerned(submission: Submission, answers: dict, rule: CertificateRequest,
              requester: Resident | None) -> set[int]:
    """The register ids of the residents the certificate is about: the requester as typed; with
    `household`, every current member of the requester's household (the known requester's and
    the typed one's); with `partial` (or a form without scope), each person listed, matched by
    フリガナ and 生年月日. The resident a counter case is filed for is always among them."""
    city = submission.municipality
    typed = _matching(city, answers.get(rule.requester_kana), answers.get(rule.requester_birth_date))
    found = {r.pk for r in typed}
    base = [r for r in (requester, submission.resident if submission.resident_id else None) if r is not None]
    found.update(r.pk for r in base)
    scope = answers.get(rule.scope) if rule.scope else None
    if rule.scope and scope == rule.household_value:
        for person in [*base, *typed]:
            found.update(members_of(person).values_list("pk", flat=True))
    if not rule.scope or scope == rule.partial_value:
        for item in answers.get(rule.persons) or []:
            if isinstance(item, dict):
                found.update(r.pk for r in _matching(city, item.get(rule.person_kana),
                                                     item.get(rule.person_birth_date)))
    return found


def _own(requester: Resident | None) -> set[int]:
    """The protected residents who count as the requester themselves: the requester, and when
    the requester is protected, those marked under the same 申出 (a household marked together:
    the protected parent asking for the household's certificate is not the one it is against)."""
    if requester is None:
        return set()
    own = {requester.pk}
    references = set(protection.marks_in_force(requester.municipality)
                     .filter(resident_id=requester.pk).exclude(reference="")
                     .values_list("reference", flat=True))
    if references:
        own.update(protection.marks_in_force(requester.municipality)
                   .filter(reference__in=references).values_list("resident_id", flat=True))
    return own


def _protected_others(submission: Submission, answers: dict, rule: CertificateRequest,
                      requester: Resident | None) -> set[int]:
    """The protected residents the request concerns who are not the requester themselves."""
    people = concerned(submission, answers, rule, requester)
    return protection.protected_ids(submission.municipality, people) - _own(requester)


def hold_if_needed(submission: Submission, answers: dict, *, in_person: bool = True,
                   signed_by=None) -> ProtectionHold | None:
    """Hold a new submission that asks for a protected resident's certificate on behalf of
    someone other than that resident; None when the procedure is no such request or nobody
    concerned is protected. Runs in the submission's transaction (services._create_submission,
    services.submit_answers), so a case is never filed without its hold."""
    rule = rule_for(submission.procedure_code)
    if rule is None:
        return None
    city = submission.municipality
    if not protection.marks_in_force(city).exists():
        return None  # most cities, most days: one cheap query
    protected = _protected_others(submission, answers, rule, requester_of(submission, in_person, signed_by))
    if not protected:
        return None
    return _hold(submission, protected, ProtectionHold.State.PENDING)


def recheck(submission: Submission, answers: dict, signed_by=None) -> ProtectionHold | None:
    """A corrected version (after 差戻し) may name other people: when it concerns a protected
    resident the hold does not cover, the hold is pending again with them added (a refused hold
    stays refused)."""
    rule = rule_for(submission.procedure_code)
    if rule is None or not protection.marks_in_force(submission.municipality).exists():
        return None
    protected = _protected_others(submission, answers, rule, requester_of(submission, signed_by=signed_by))
    hold = hold_of(submission)
    if hold is None:
        return _hold(submission, protected, ProtectionHold.State.PENDING) if protected else None
    if hold.state == ProtectionHold.State.REFUSED or protected <= set(hold.protected_ids):
        return hold
    hold.protected_ids = sorted(set(hold.protected_ids) | protected)
    hold.state, hold.decided_by, hold.decided_at = ProtectionHold.State.PENDING, "", None
    hold.save(update_fields=["protected_ids", "state", "decided_by", "decided_at"])
    audit.record(submission.municipality, Actor.system(), "protection_hold", "submission",
                 submission.public_id, subject_ref=submission.subject_ref, hold=hold.pk,
                 protected=hold.protected_ids, again=True)
    return hold


def _hold(submission: Submission, protected: set[int], state: str) -> ProtectionHold:
    hold = ProtectionHold.objects.create(submission=submission, protected_ids=sorted(protected), state=state)
    audit.record(submission.municipality, Actor.system(), "protection_hold", "submission",
                 submission.public_id, subject_ref=submission.subject_ref, hold=hold.pk,
                 protected=hold.protected_ids, procedure=submission.procedure_code,
                 channel=submission.channel)
    return hold
