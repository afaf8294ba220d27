"""Queue and deliver notifications. Requests only enqueue; delivery happens after commit.

Delivery is at-least-once with the smallest repeat a crash allows: each message is claimed
(a committed lease, `claimed_until`), sent, and marked sent in its own commit. A process killed
after the SMTP server took a mail and before the mark repeats that one mail when its lease runs
out; a process killed before sending repeats nothing. Every attempt of a row carries the same
`Message-ID`, so a receiving side can recognise the repeat.

Written here rather than with a mail-queue library (django-mailer, django-post-office) or a
task queue: the row must be written in the caller's own transaction (a transactional outbox,
with its dedupe key), and the per-message claim is a few lines over the database's own locking
(`SKIP LOCKED`); sending itself is Django's mail API.
"""

import json
import logging
import operator
from datetime import datetime, timedelta
from functools import reduce

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from madoguchi.core import cities, i18n, leases, redaction
from madoguchi.core.codes import keyed_digest
from madoguchi.notify import channels
from madoguchi.notify.channels import Outgoing, PermanentFailure, StatusReport
from madoguchi.notify.models import Contact, ContactChallenge, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def mail_language(language: str | None) -> str:
    """The language a mail is written in: `language` when Madoguchi speaks it ("" or None, a
    resident who never chose: Japanese). Staff languages do not matter here: mails go to residents."""
    return i18n.supported(language) or i18n.DEFAULT


def enqueue_email(municipality, recipient: str, template: str, context: dict, dedupe_key: str,
                  template_dir: str = "notify", new_key: bool = False, language: str | None = None):
    """Write the message in the caller's transaction; the same dedupe_key is queued only once.

    `template` names <template_dir>/<template>.txt whose first line is the subject (an app may
    keep its mails beside its own templates). The address and the text are stored encrypted
    (the model's fields encrypt on save).

    `new_key`: the caller's dedupe_key names a row its own transaction has just created, so no
    message can hold it yet; the insert then runs without the savepoint that otherwise catches
    a duplicate (two statements fewer). Were it a duplicate after all, the unique constraint
    still refuses it and the caller's transaction fails as a whole.

    `language`: the recipient's (their account's choice; for a code asked from a page, that
    page's). None: the language active now (the resident's own request). The text is rendered
    in it when queued, and its links (`mypage_url`, `with_language`) carry `?lang=`.
    """
    language = mail_language(translation.get_language() if language is None else language)
    public_url = cities.public_url(municipality)
    with translation.override(language):
        text = render_to_string(f"{template_dir}/{template}.txt", {
            "municipality": municipality, "public_url": public_url, "language": language,
            "mypage_url": i18n.with_language(f"{public_url}/mypage/", language),
            **context,
        })
    subject, _, body = text.strip().partition("\n")
    fields = {"municipality": municipality, "recipient": recipient, "subject": subject.strip(),
              "body": body.strip() + "\n", "dedupe_key": dedupe_key, "digest": digest("email", recipient)}
    return enqueue(fields, new_key)


def message_id_of(message: OutboxMessage) -> str:
    """The SMTP Message-ID: derived from the row, so a retry repeats it (RFC 5322 §3.6.4);
    it names neither the person nor the event. Django's default would be new on every send."""
    domain = cities.sender(message.municipality).rpartition("@")[2].strip(">") or "madoguchi.invalid"
    return f"<{message.mail_id.hex}@{domain}>"


def _claim(now: datetime, pk: int | None = None) -> OutboxMessage | None:
    """Take one due message for this process and commit the claim before anything is sent
    (core/leases.py)."""
    # The encrypted columns are read in _send, where a value no key decrypts fails that one
    # message (recorded, retried) instead of every pass of the worker.
    rows = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).defer("recipient", "body", "routes")

    def take(message: OutboxMessage) -> bool:
        if message.attempts >= MAX_ATTEMPTS:
            # Every attempt was cut off before its outcome was recorded (a message whose
            # sending kills the worker each time): give up as after failed sends.
            message.status, message.last_error, message.failure = OutboxStatus.FAILED, "Interrupted", "gave_up"
            message.claimed_until = None
            message.save(update_fields=["status", "last_error", "failure", "claimed_until"])
            log.warning("outbox message %s interrupted %s times, given up", message.pk, message.attempts)
            return False
        message.claimed_until = now + timedelta(seconds=settings.MADOGUCHI_OUTBOX_LEASE_SECONDS)
        message.attempts += 1
        message.save(update_fields=["claimed_until", "attempts"])
        return True

    return leases.claim(rows, now, take, pk=pk)


def deliver_one(message_id: int) -> bool:
    """Send one message right after its commit (the inline mode); False if another took it."""
    message = _claim(timezone.now(), pk=message_id)
    return message is not None and _send(message)


def deliver_pending(limit: int = 100, now: datetime | None = None) -> int:
    """One worker pass: send what is due, one message at a time. Returns how many were sent."""
    sent = 0
    for _ in range(limit):
        message = _claim(now or timezone.now())
        if message is None:
            break
        sent += _send(message)
    return sent


def _send(message: OutboxMessage) -> bool:
    """Send a claimed message through its channel and record the outcome in its own commit."""
    rows = OutboxMessage.objects.filter(pk=message.pk)
    channel = channels.channel_for(message.municipality, message.channel)
    if channel is None:  # the city turned the channel off since: the next channel is tried
        _failed_for_good(message, "not_configured")
        return False
    try:
        subject, body = _as_recipient_may_read(message)
        sent = channel.send(Outgoing(
            municipality=message.municipality, address=message.recipient, subject=subject,
            body=body, url=message.link, key=message.mail_id.hex, message_id=message_id_of(message),
            event=message.event))
    except PermanentFailure as exc:
        _failed_for_good(message, exc.reason, address_dead=exc.address_dead)
        return False
    except Exception as exc:  # noqa: BLE001 - TemporaryFailure, or any transport failure: later
        retry_after = getattr(exc, "retry_after", None) or 0
        log.warning("outbox message %s (%s) failed (%s), attempt %s", message.pk, message.channel,
                    type(exc).__name__, message.attempts)
        if message.attempts >= MAX_ATTEMPTS:
            _failed_for_good(message, "gave_up", error=type(exc).__name__)
        else:
            rows.update(last_error=type(exc).__name__, claimed_until=None, status=OutboxStatus.PENDING,
                        next_attempt_at=timezone.now() + timedelta(
                            seconds=max(retry_after, 30 * 2**message.attempts)))
        return False
    now = timezone.now()
    # sent: keep the record, not the text (it may hold a one-time code), and the subject as it
    # left (masked). The routes still to try stay until the channel confirms delivery: a bounce
    # may still come.
    done = {"routes": None, "delivered_at": now} if sent.delivered else {}
    rows.update(status=OutboxStatus.DELIVERED if sent.delivered else OutboxStatus.SENT, sent_at=now,
                body=None, subject=subject[:200], claimed_until=None, provider_ref=sent.provider_ref[:128],
                **done)
    if message.contact_id:
        Contact.objects.filter(pk=message.contact_id).update(last_used_at=now)
    return True


def _as_recipient_may_read(message: OutboxMessage) -> tuple[str, str]:
    """The subject and text as they leave for the channel: every protected resident's address
    masked unless the delivery's person is that resident (core.redaction; 支援措置). Done here,
    the one place every channel's text passes (tell, enqueue_email, a fallback, a channel's own
    code), and at sending rather than queueing, so a mark made after a notice was queued still
    holds and a template or a caller cannot forget it. The mask is written in the message's
    language (its link's `?lang=`; Japanese when it has none)."""
    with translation.override(i18n.language_of(message.link)):
        mask = redaction.masker(message.municipality, [message.person])
        return mask(message.subject), mask(message.body or "")


def _failed_for_good(message: OutboxMessage, reason: str, address_dead: bool = False, error: str = "") -> None:
    """Give the delivery up, disable a contact that can never be used again, and queue the
    next channel the person chose (in one commit: a crash never loses the fallback)."""
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.FAILED, failure=reason, last_error=(error or reason)[:200],
            claimed_until=None, body=None)
        if address_dead:
            _disable(message, reason)
        _fall_back(message)
    log.warning("outbox message %s (%s) failed for good: %s", message.pk, message.channel, reason)


def _disable(message: OutboxMessage, reason: str) -> None:
    now = timezone.now()
    if message.contact_id:
        Contact.objects.filter(pk=message.contact_id, disabled_at__isnull=True).update(
            disabled_at=now, disabled_reason=reason)
    elif message.channel == "email" and message.digest:
        # An account's address is not a Contact until it fails: the failure is kept by address.
        contact, created = Contact.objects.get_or_create(
            municipality_id=message.municipality_id, person="", channel="email", digest=message.digest,
            defaults={"address": message.recipient, "disabled_at": now, "disabled_reason": reason,
                      "verified_at": None})
        if not created and contact.disabled_at is None:
            Contact.objects.filter(pk=contact.pk).update(disabled_at=now, disabled_reason=reason)


def _fall_back(message: OutboxMessage) -> OutboxMessage | None:
    """Queue the next route of the failed delivery's notice, if any (caller's transaction)."""
    stored = OutboxMessage.objects.filter(pk=message.pk).values_list("routes", flat=True).first()
    routes = json.loads(stored) if stored else []
    if not routes:
        return None
    route, rest = routes[0], routes[1:]
    OutboxMessage.objects.filter(pk=message.pk).update(routes=None)
    key = message.notice_key or message.dedupe_key
    try:
        with transaction.atomic():
            following = OutboxMessage.objects.create(
                municipality_id=message.municipality_id, channel=route["channel"],
                recipient=route["address"], subject=route["subject"], body=route["body"],
                link=route.get("link", ""), contact_id=route.get("contact"),
                digest=digest(route["channel"], route["address"]),
                dedupe_key=f"{key}@{route['channel']}:{route.get('contact') or 0}"[:128],
                notice_key=key, person=message.person, about=message.about, event=message.event,
                fallback_of_id=message.pk, routes=json.dumps(rest, ensure_ascii=False) if rest else None)
    except IntegrityError:  # this channel was already tried for this notice
        return None
    if settings.MADOGUCHI_OUTBOX_MODE == "inline":
        transaction.on_commit(lambda: deliver_one(following.pk))
    return following


# --- telling a person ------------------------------------------------------------------------

def digest(channel: str, address: str) -> str:
    """A keyed hash of an address, to find its rows again without decrypting every one (a
    bounce names the address; a contact is unique per person and address)."""
    value = address.strip().lower() if channel == "email" else address.strip()
    return keyed_digest(f"notify:{channel}:{value}")


def email_failing(municipality, email: str) -> Contact | None:
    """The failure kept for this address (a bounce, a complaint), or None."""
    return Contact.objects.filter(municipality=municipality, person="", channel="email",
                                  digest=digest("email", email), disabled_at__isnull=False).first()


def routes_for(municipality, person: str, email: str | None) -> list[tuple[str, str, Contact | None]]:
    """The channels to try for `person`, in their order: their verified, working contacts on
    channels the city offers and has set up (by rank), then the account's e-mail unless it is
    known to fail. One query reads both (a submission's statement budget counts it)."""
    offered = channels.offered(municipality)
    use_email = bool(email) and "email" in offered
    conditions = []
    if person:
        conditions.append(Q(person=person, verified_at__isnull=False, disabled_at__isnull=True,
                            channel__in=[code for code in offered if code != "email"]))
    if use_email:
        conditions.append(Q(person="", channel="email", digest=digest("email", email), disabled_at__isnull=False))
    if not conditions:
        return []
    wanted = reduce(operator.or_, conditions)
    found = list(Contact.objects.filter(wanted, municipality=municipality).order_by("rank", "pk"))
    routes = []
    ready: dict[str, bool] = {}
    for contact in found:
        if contact.channel == "email":
            continue  # the address is known to fail
        if contact.channel not in ready:  # enabled and fully configured (one look per channel)
            ready[contact.channel] = channels.channel_for(municipality, contact.channel) is not None
        if ready[contact.channel] and contact.address:
            routes.append((contact.channel, contact.address, contact))
    if use_email and not any(contact.channel == "email" for contact in found):
        routes.append(("email", email, None))
    return routes


def _render(template_names: list[str], context: dict) -> tuple[str, str]:
    """The first template of `template_names` that exists: its first line, and the rest."""
    names = template_names[0] if len(template_names) == 1 else template_names
    subject, _, body = render_to_string(names, context).strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def tell(municipality, event: str, *, key: str, person: str = "", email: str | None = None,
         context: dict | None = None, email_template: str | None = None, template_dir: str = "notify",
         about: str = "", link: str = "", language: str | None = None,
         new_key: bool = False) -> OutboxMessage | None:
    """Tell a person about an event, in the caller's transaction: once per `key`, on the first
    of their channels (routes_for), the others kept to fall back to. Returns the first
    delivery, or None when the person can be reached on no channel.

    E-mail is rendered from <template_dir>/<email_template or event>.txt (first line the
    subject); LINE, SMS and push from notify/<channel>/<event>.txt or else notify/short/<event>.txt,
    whose text says nothing personal unless the contact's `detail` opt-in is on. `link` is a
    path on the city's site (it needs login), made absolute with the language.
    `language`, `new_key`: as enqueue_email's.
    """
    routes = routes_for(municipality, person, email)
    if not routes:
        return None
    language = mail_language(translation.get_language() if language is None else language)
    public_url = cities.public_url(municipality)
    url = i18n.with_language(f"{public_url}{link or '/mypage/'}", language)
    base = {"municipality": municipality, "public_url": public_url, "language": language,
            "mypage_url": i18n.with_language(f"{public_url}/mypage/", language), "link_url": url,
            **(context or {})}
    rendered = []
    with translation.override(language):
        for code, address, contact in routes:
            if code == "email":
                names = [f"{template_dir}/{email_template or event}.txt"]
            else:
                names = [f"notify/{code}/{event}.txt", f"notify/short/{event}.txt"]
            subject, body = _render(names, {**base, "channel": code, "detail": bool(contact and contact.detail)})
            rendered.append({"channel": code, "address": address, "contact": contact.pk if contact else None,
                             "subject": subject[:200], "body": body, "link": url[:300]})
    first, rest = rendered[0], rendered[1:]
    fields = {"municipality": municipality, "channel": first["channel"], "recipient": first["address"],
              "subject": first["subject"], "body": first["body"], "link": first["link"],
              "contact_id": first["contact"], "digest": digest(first["channel"], first["address"]),
              "dedupe_key": key, "notice_key": key, "person": person, "about": about, "event": event,
              "routes": json.dumps(rest, ensure_ascii=False) if rest else None}
    return enqueue(fields, new_key)


def enqueue(fields: dict, new_key: bool = False) -> OutboxMessage:
    """Write one outbox row (the fields of OutboxMessage) in the caller's transaction, once per
    dedupe key, and deliver it after the commit in the inline mode. enqueue_email and tell()
    build their rows with it; so does a channel's own message (an SMS verification code)."""
    # No fallback routes: NULL, not an encrypted empty text (one Fernet token fewer per row).
    fields.setdefault("routes", None)
    if new_key:
        message = OutboxMessage.objects.create(**fields)
    else:
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(**fields)
        except IntegrityError:
            return OutboxMessage.objects.get(dedupe_key=fields["dedupe_key"])
    if settings.MADOGUCHI_OUTBOX_MODE == "inline":
        transaction.on_commit(lambda: deliver_one(message.pk))
    return message


# --- what the providers report -------------------------------------------------------------

def record_status(municipality, channel: str, report: StatusReport) -> OutboxMessage | None:
    """A provider's status report on a sent message: delivered, or failed (then the contact may
    be disabled and the next channel is tried). Matched by the provider's id of the message,
    or for a bounce without one by the address's latest delivery. Repeated reports change
    nothing once the delivery is final."""
    rows = OutboxMessage.objects.filter(municipality=municipality, channel=channel)
    if report.provider_ref:
        message = rows.filter(provider_ref=report.provider_ref[:128]).order_by("-pk").first()
    elif report.address:
        message = rows.filter(digest=digest(channel, report.address)).order_by("-pk").first()
    else:
        message = None
    if message is None:
        if report.status == "failed" and report.address_dead and report.address and channel == "email":
            _disable(OutboxMessage(municipality=municipality, channel="email",
                                   digest=digest("email", report.address), recipient=report.address),
                     report.reason or "unreachable")
        return None
    return apply_status(message, report)


def apply_status(message: OutboxMessage, report: StatusReport) -> OutboxMessage:
    """The report recorded on the delivery it is about (found by record_status, or by the
    e-mail bounces across cities)."""
    if report.status == "delivered":
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENT).update(
            status=OutboxStatus.DELIVERED, delivered_at=timezone.now(), routes=None)
    elif message.status != OutboxStatus.FAILED:
        if message.channel == "email" and not message.recipient and report.address:
            message.recipient = report.address
        _failed_for_good(message, report.reason or "unreachable", address_dead=report.address_dead)
    message.refresh_from_db()
    return message


# --- a person's contacts -------------------------------------------------------------------

def add_contact(municipality, person: str, channel: str, address: str, *, label: str = "",
                verified: bool = True, rank: int | None = None) -> Contact:
    """Keep (or renew) a way to reach `person`: a contact seen again is enabled again."""
    now = timezone.now()
    contact, _ = Contact.objects.update_or_create(
        municipality=municipality, person=person, channel=channel, digest=digest(channel, address),
        defaults={"address": address, "label": label[:64], "disabled_at": None, "disabled_reason": "",
                  "verified_at": now if verified else None, **({"rank": rank} if rank is not None else {})})
    return contact


def remove_contact(contact: Contact, reason: str = "unlinked") -> None:
    """The person unlinked it (or the provider told us it is gone): deliveries still queued
    for it fail over to the next channel; the row goes."""
    for message in OutboxMessage.objects.filter(contact=contact, status=OutboxStatus.PENDING):
        _failed_for_good(message, reason)
    contact.delete()


def forget_person(municipality, person: str) -> int:
    """The person's account or ticket is gone: its contacts and challenges go too."""
    ContactChallenge.objects.filter(municipality=municipality, person=person).delete()
    return Contact.objects.filter(municipality=municipality, person=person).delete()[0]
