"""E-mail delivery reports from the deployment's ESP: bounces, complaints and deliveries, read
by django-anymail's tracking webhooks (/notify/anymail/<esp>/tracking/, the ESP's signature
checked by anymail) and recorded on the delivery like any channel's report (services.apply_status).

One ESP account serves the whole deployment, so the webhook may arrive on any city's host: the
city is the delivery's own, found by the message's id (the Message-ID we set, or the ESP's id
of it) or else by the address's keyed hash, across cities. A report on a mail we never sent
changes nothing.

What anymail normalises is mapped here (its event types, its reject reasons):
- bounced (a permanent failure: Mailgun's temporary ones arrive as "deferred") and rejected
  (the ESP refused to send: a known-bad or suppressed address) → failed, the address dead;
- complained (the resident marked the mail as spam) → failed "complained", the address dead
  (we stop mailing it until the resident says otherwise in My Page);
- delivered → delivered. Every other event (queued, deferred, opened, clicked …) changes nothing.
"""

import logging

from anymail.signals import EventType, RejectReason

from madoguchi.notify import services
from madoguchi.notify.channels import StatusReport
from madoguchi.notify.models import OutboxMessage

log = logging.getLogger(__name__)

_REJECTED = {RejectReason.SPAM: "complained", RejectReason.BLOCKED: "blocked"}


def report_for(event) -> StatusReport | None:
    """What one anymail tracking event says about a delivery, or None if nothing."""
    recipient = (event.recipient or "").strip()
    message_id = (event.message_id or "")[:128]
    if event.event_type == EventType.DELIVERED:
        return StatusReport(provider_ref=message_id, status="delivered", address=recipient)
    if event.event_type == EventType.BOUNCED:
        reason = "unreachable"
    elif event.event_type == EventType.REJECTED:
        reason = _REJECTED.get(event.reject_reason, "unreachable")
    elif event.event_type == EventType.COMPLAINED:
        reason = "complained"
    else:
        return None
    if not recipient:
        return None
    return StatusReport(provider_ref=message_id, status="failed", reason=reason, address=recipient,
                        address_dead=True, detail={"esp_event": event.event_type})


def delivery_of(report: StatusReport) -> OutboxMessage | None:
    """The e-mail delivery the report is about, in whichever city sent it: by the message's id
    first (it names one mail), else the address's latest mail."""
    mails = OutboxMessage.objects.filter(channel="email").select_related("municipality").defer(
        "recipient", "body", "routes")
    if report.provider_ref:
        found = mails.filter(provider_ref=report.provider_ref).order_by("-pk").first()
        if found is not None:
            return found
    if report.address:
        return mails.filter(digest=services.digest("email", report.address)).order_by("-pk").first()
    return None


def on_tracking(sender, event, esp_name, **kwargs):
    """anymail.signals.tracking's receiver (connected in NotifyConfig.ready)."""
    report = report_for(event)
    if report is None:
        return
    mail = delivery_of(report)
    if mail is None:
        log.info("%s %s report for no mail of ours", esp_name, event.event_type)
        return
    services.apply_status(mail, report)
    log.info("%s %s report recorded on outbox message %s", esp_name, event.event_type, mail.pk)
