"""Proving a mobile number before SMS goes to it: a six-digit code sent by SMS, typed back.

Only a keyed hash of the code is kept (ContactChallenge.secret_digest, keyed with the person
too, so one code's hash says nothing about another's); the number waits encrypted in the
challenge. A code lives CODE_MINUTES, allows MAX_TRIES wrong tries (counted on the code, in
their own commit), and a new code voids the older ones. A person gets at most CODES_PER_HOUR
codes an hour; the SMS channel's per-number limit bounds what one number receives from
everyone together. Once typed right, the number becomes the person's SMS contact.
"""

import hmac
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from madoguchi.core.codes import keyed_digest, new_code, typed_digits
from madoguchi.notify import services
from madoguchi.notify.channels import sms
from madoguchi.notify.models import Contact, ContactChallenge
from madoguchi.notify.phone import masked, mobile_e164

CHANNEL = "sms"
CODE_MINUTES = 10
MAX_TRIES = 5
CODES_PER_HOUR = 3


class VerificationRefused(Exception):
    """Shown to the resident as is, next to the field it is about."""


def _digest(person: str, code: str) -> str:
    return keyed_digest(f"sms-code:{person}:{code}")


def _challenges(municipality, person: str):
    return ContactChallenge.objects.filter(municipality=municipality, person=person, channel=CHANNEL)


def send_code(municipality, person: str, typed_number: str, language: str | None = None) -> ContactChallenge:
    """Check the number (JapaneseInputError with the field's message), then queue an SMS with a
    new code to it. VerificationRefused when the person asked for too many codes this hour."""
    number = mobile_e164(typed_number)
    now = timezone.now()
    if _challenges(municipality, person).filter(created_at__gt=now - timedelta(hours=1)).count() >= CODES_PER_HOUR:
        raise VerificationRefused(_("1時間に送れる確認コードの数を超えました。しばらくたってから、もう一度お試しください。"))
    code = new_code()
    with transaction.atomic():
        # Codes older than the hour count for nothing: their rows (an encrypted number) go.
        _challenges(municipality, person).filter(created_at__lte=now - timedelta(hours=1)).delete()
        _challenges(municipality, person).filter(expires_at__gt=now).update(expires_at=now)
        challenge = ContactChallenge.objects.create(
            municipality=municipality, person=person, channel=CHANNEL, secret_digest=_digest(person, code),
            address=number, expires_at=now + timedelta(minutes=CODE_MINUTES))
        sms.enqueue_code(municipality, person, number, code, key=f"sms-code:{challenge.pk}",
                         minutes=CODE_MINUTES, language=language)
    return challenge


def pending(municipality, person: str) -> ContactChallenge | None:
    """The person's code still to be typed (live, tries left), or None."""
    return (_challenges(municipality, person).filter(expires_at__gt=timezone.now(), attempts__lt=MAX_TRIES)
            .order_by("-created_at", "-pk").first())


def pending_label(municipality, person: str) -> str:
    """…5678 for the number the live code went to ("" when there is none)."""
    challenge = pending(municipality, person)
    return masked(challenge.address) if challenge and challenge.address else ""


def resend(municipality, person: str, language: str | None = None) -> ContactChallenge:
    """A new code to the number of the person's latest challenge (the resident retypes nothing)."""
    latest = _challenges(municipality, person).order_by("-created_at", "-pk").first()
    if latest is None or not latest.address:
        raise VerificationRefused(_("携帯電話の番号を、もう一度入力してください。"))
    return send_code(municipality, person, latest.address, language)


def verify(municipality, person: str, typed_code: str) -> Contact:
    """The person's number as their SMS contact once the code is right; VerificationRefused
    (with the tries left) otherwise. A wrong try is committed before the refusal."""
    now = timezone.now()
    with transaction.atomic():
        challenge = (_challenges(municipality, person).select_for_update()
                     .order_by("-created_at", "-pk").first())
        if challenge is None or challenge.expires_at <= now:
            error = _("確認コードの有効期限が切れています。もう一度コードを送ってください。")
        elif challenge.attempts >= MAX_TRIES:
            error = _("確認コードを何度も間違えたため使えなくなりました。もう一度コードを送ってください。")
        else:
            challenge.attempts += 1
            if hmac.compare_digest(challenge.secret_digest, _digest(person, typed_digits(typed_code))):
                number = challenge.address
                _challenges(municipality, person).delete()
                return services.add_contact(municipality, person, CHANNEL, number, label=masked(number))
            challenge.save(update_fields=["attempts"])
            left = MAX_TRIES - challenge.attempts
            error = (ngettext("確認コードが違います。SMSに書かれた6桁の数字を入力してください（あと%(n)s回）。",
                              "確認コードが違います。SMSに書かれた6桁の数字を入力してください（あと%(n)s回）。", left)
                     % {"n": left}) if left else _(
                "確認コードを何度も間違えたため使えなくなりました。もう一度コードを送ってください。")
    raise VerificationRefused(error)


def remove(municipality, person: str, contact_pk) -> bool:
    """The resident removes one of their numbers: notices still queued for it go to the next
    channel. False when it is not theirs (or already gone)."""
    if not isinstance(contact_pk, int) or not 0 < contact_pk < 2**63:  # a URL's digits, however many
        return False
    contact = Contact.objects.filter(municipality=municipality, person=person, channel=CHANNEL,
                                     pk=contact_pk).first()
    if contact is None:
        return False
    services.remove_contact(contact)
    return True
