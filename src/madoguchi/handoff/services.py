"""Queue a case's hand-off to the business systems registered for its procedure, deliver it,
retry it, give up on it visibly, and send it again on a staff member's request (再送).

- **Once per case, target and event.** `enqueue` inserts one row per target in the caller's
  transaction; the unique constraint makes a second enqueue (a double click that got past the
  case's lock, a retry of the action) insert nothing (`ignore_conflicts`). A target dedupes
  on the row's `public_id` (the `webhook-id`, the file's fixed name), so even a delivery
  repeated after a crash leaves one case there.
- **Claim, deliver, record.** As the outbox does (notify/services.py): each hand-off is claimed
  with a lease (`claimed_until`, committed before anything is sent; `SKIP LOCKED` on
  PostgreSQL), delivered, and its outcome recorded in its own commit, and only by the worker
  whose lease it still is. A worker killed mid-delivery leaves a lease that runs out, and any
  worker delivers again, with the same id.
- **Retries and the stop.** A failed attempt is tried again after 30 s, 1 min, 2 min … (at most
  an hour apart; settings in conf.py) until `give_up_at` (24 h after the hand-off): the last
  attempt is at that time, and if it fails too the hand-off is 失敗 (failed). A refusal that
  trying again cannot help (a 4xx, a value CP932 cannot hold) is 失敗 at once. Failed
  hand-offs stay listed on /staff/handoffs/ and on the case until delivered.
- **再送.** Staff reset the stop (a new 24 h) and deliver at once; a delivered hand-off is not
  sent again (refused with a message), and each 再送 is audited. Nothing blocks a 再送 after
  the automatic retries ended (Open Forms #1957).

Written here rather than with a task queue: the row must be written in the caller's
transaction (an outbox), and the claim is a few lines over the database's own locking.
"""

import json
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.core import audit, leases
from madoguchi.core.actors import Actor
from madoguchi.handoff import conf, config
from madoguchi.handoff import payload as payloads
from madoguchi.handoff.models import Event, Handoff, State
from madoguchi.handoff.targets import DeliveryFailed

log = logging.getLogger(__name__)
MAX_INTERRUPTIONS = 5  # a hand-off whose delivery kills its worker this often is 失敗


class ResendRefused(Exception):
    """Shown to the staff member as is; `code` names the refusal for pages and tests."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def enqueue(case, event: str, decision: dict | None = None) -> None:
    """Record, in the caller's transaction, that `case` is to be handed off for `event`
    ("accepted" or "decided") to each target registered for its procedure; delivered after
    commit (inline mode) or by `run_handoffs`, once per target.

    A city whose handoff.yaml cannot be read hands nothing off and says so in the log and on
    the staff page (config.problems); it does not stop the department's work."""
    if event not in Event.values:
        raise ValueError(f"unknown hand-off event {event!r}")
    try:
        targets = [t for t in config.targets_for(case.municipality) if t.takes(case.procedure_code, event)]
    except config.HandoffConfigError as exc:
        log.error("hand-off settings of city %s unreadable: %s", case.municipality_id, exc)
        return
    if not targets:
        return
    now = timezone.now()
    version = case.versions.order_by("-number").values_list("number", flat=True).first()
    text = json.dumps(decision, ensure_ascii=False, sort_keys=True) if decision is not None else ""
    Handoff.objects.bulk_create([
        Handoff(municipality=case.municipality, submission=case, target=t.name, kind=t.kind,
                event=event, version=version, decision=text, next_attempt_at=now,
                give_up_at=now + timedelta(hours=conf.give_up_hours()))
        for t in targets], ignore_conflicts=True)
    if conf.mode() == "inline":
        case_id = case.pk
        transaction.on_commit(lambda: deliver_case(case_id, event))


def deliver_case(case_id: int, event: str) -> int:
    """Deliver a case's due hand-offs for one event now (right after the commit); never raises:
    whatever fails here is the worker's to retry."""
    delivered = 0
    for pk in Handoff.objects.filter(submission_id=case_id, event=event, state=State.PENDING).values_list("pk", flat=True):
        try:
            delivered += deliver_one(pk)
        except Exception as exc:  # noqa: BLE001 - the request has committed; the worker retries
            # the type only: an exception's text may quote an answer (nothing personal in logs)
            log.error("hand-off %s: inline delivery failed (%s); left to the worker", pk, type(exc).__name__)
    return delivered


def _claim(now: datetime, pk: int | None = None) -> Handoff | None:
    """Take one due hand-off for this process and commit the claim before delivering it
    (core/leases.py). A lease found taken is an interruption: its last worker died before
    recording the outcome; after MAX_INTERRUPTIONS the hand-off fails rather than loop."""
    rows = Handoff.objects.filter(state=State.PENDING).defer("decision")

    def take(handoff: Handoff) -> bool:
        if handoff.claimed_until is not None:
            handoff.interruptions += 1
            if handoff.interruptions >= MAX_INTERRUPTIONS:
                handoff.state, handoff.last_error, handoff.claimed_until = State.FAILED, "interrupted", None
                handoff.save(update_fields=["state", "last_error", "claimed_until", "interruptions"])
                log.warning("hand-off %s interrupted %s times: failed", handoff.pk, handoff.interruptions)
                return False
        handoff.claimed_until = now + timedelta(seconds=conf.lease_seconds())
        handoff.attempts += 1
        handoff.last_attempt_at = now
        handoff.save(update_fields=["claimed_until", "attempts", "last_attempt_at", "interruptions"])
        return True

    return leases.claim(rows, now, take, pk=pk)


def deliver_one(pk: int, now: datetime | None = None) -> bool:
    """Deliver one hand-off now if it is pending and nobody holds it; True when delivered."""
    handoff = _claim(now or timezone.now(), pk=pk)
    return handoff is not None and _deliver(handoff, now)


def deliver_pending(limit: int = 100, now: datetime | None = None) -> int:
    """One worker pass: deliver what is due, one hand-off at a time. Returns how many were
    delivered. `now` stands for the clock (tests move it forward)."""
    delivered = 0
    for _turn in range(limit):
        handoff = _claim(now or timezone.now())
        if handoff is None:
            break
        delivered += _deliver(handoff, now)
    return delivered


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 60 s, 120 s … at most an hour."""
    seconds = conf.retry_seconds() * 2 ** min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(seconds, conf.retry_max_seconds()))


def _deliver(handoff: Handoff, now: datetime | None = None) -> bool:
    """Deliver a claimed hand-off and record the outcome, if the lease is still ours."""
    mine = Handoff.objects.filter(pk=handoff.pk, claimed_until=handoff.claimed_until)
    try:
        handoff = Handoff.objects.select_related("submission__municipality", "submission__department").get(pk=handoff.pk)
        target = config.target(handoff.municipality, handoff.target)
        if target is None:
            raise DeliveryFailed("target_not_configured")
        target.deliver(handoff, payloads.build(handoff, target.settings.include_my_number))
    except DeliveryFailed as exc:
        return _failed(mine, handoff, exc.code, exc.permanent, now)
    except config.HandoffConfigError:
        return _failed(mine, handoff, "settings_unreadable", False, now)
    except Exception as exc:  # noqa: BLE001 - a bug or a database hiccup: recorded, retried
        log.error("hand-off %s: unexpected %s", handoff.pk, type(exc).__name__)  # no text: it may quote an answer
        return _failed(mine, handoff, f"error:{type(exc).__name__}", False, now)
    mine.update(state=State.DELIVERED, delivered_at=timezone.now(), claimed_until=None, last_error="")
    log.info("hand-off %s delivered to %s (attempt %s)", handoff.pk, handoff.target, handoff.attempts)
    return True


def _failed(mine, handoff: Handoff, code: str, permanent: bool, now: datetime | None) -> bool:
    now = now or timezone.now()
    if permanent or now >= handoff.give_up_at:
        mine.update(state=State.FAILED, last_error=code, claimed_until=None)
        log.warning("hand-off %s to %s failed for good (%s) after %s attempts", handoff.pk,
                    handoff.target, code, handoff.attempts)
    else:
        mine.update(last_error=code, claimed_until=None,
                    next_attempt_at=min(now + backoff(handoff.attempts), handoff.give_up_at))
        log.warning("hand-off %s to %s failed (%s), attempt %s", handoff.pk, handoff.target, code,
                    handoff.attempts)
    return False


def resend(handoff: Handoff, actor: Actor) -> bool:
    """「再送」: a failed (or waiting) hand-off gets a new stop time and is delivered now.
    ResendRefused for one already delivered or being delivered this moment. Returns whether
    this attempt delivered it."""
    now = timezone.now()
    with transaction.atomic():
        locked = Handoff.objects.select_for_update().get(pk=handoff.pk)
        if locked.state == State.DELIVERED:
            raise ResendRefused(_("この連携は送信済みです。再送は不要です。"), "already-delivered")
        if locked.claimed_until is not None and locked.claimed_until > now:
            raise ResendRefused(_("この連携は送信中です。しばらくしてから状況を確認してください。"), "in-flight")
        Handoff.objects.filter(pk=locked.pk).update(
            state=State.PENDING, next_attempt_at=now, claimed_until=None, interruptions=0,
            give_up_at=now + timedelta(hours=conf.give_up_hours()), resends=locked.resends + 1)
        audit.record(locked.municipality, actor, "handoff_resend", "handoff", locked.public_id,
                     subject_ref=locked.submission.subject_ref,
                     target=locked.target, event=locked.event, case=str(locked.submission.public_id),
                     state_before=locked.state, attempts=locked.attempts)
    return deliver_one(locked.pk)
