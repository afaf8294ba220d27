"""Paying fees: charges, attempts, the return, webhooks, the reconciliation job, refunds.

Never lost, never twice:
- an attempt carries its own idempotency key, sent to the provider, so a reload or a double
  click reuses the live attempt and its provider session; a new key (a new attempt) is made
  only once the previous attempt is final;
- the return page polls the provider once and never trusts its query string;
- a webhook is verified, stored once per (provider, event id) and settled in one short
  transaction; a replay changes nothing;
- the job (`reconcile`) polls every attempt that is not final when it is due, with back-off,
  and expires (and cancels at the provider) what ran out, so the resident can start again;
- `settle` is the only place an attempt turns succeeded. It locks the charge, then the
  attempt (always in that order: webhook, return and job race here), so a charge is paid once;
  a second success on a paid charge becomes `duplicate`, is refunded automatically (reason
  二重決済, approved by the system) and flagged for 会計課.
Every event goes to the audit log with ids only.
"""

import dataclasses
import logging
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.applications import services as application_services
from madoguchi.applications.models import Status as SubmissionStatus
from madoguchi.applications.models import Submission
from madoguchi.catalog.fees import FeeQuote
from madoguchi.core import audit, cities
from madoguchi.core.actors import Actor
from madoguchi.payments import states
from madoguchi.payments.models import (
    COUNTER_METHODS,
    DUPLICATE_REASON,
    Attempt,
    AttemptState,
    Charge,
    ProviderEvent,
    ProviderSetting,
    Refund,
)
from madoguchi.payments.providers import (
    Outcome,
    ProviderError,
    ProviderRefused,
    UnknownProvider,
    WebhookEvent,
    WebhookRefused,
    provider_class,
    provider_for,
)
from madoguchi.payments.providers.base import PaymentProvider

log = logging.getLogger(__name__)

FIRST_CHECK = timedelta(minutes=2)     # a webhook normally comes first; the job checks anyway
MAX_BACKOFF = timedelta(hours=1)
EXPIRY_GRACE = timedelta(minutes=5)    # the provider's clock and its last-second payments
START_TIMEOUT = timedelta(minutes=30)  # a created attempt the provider never confirmed
CLAIM_LEASE = timedelta(minutes=2)     # one job runner's hold on an attempt it is polling


class PaymentRefused(Exception):
    """The payment cannot be started or recorded; the message is for the resident or clerk."""


class ChargeClosed(PaymentRefused):
    """The charge is no longer due (paid or cancelled)."""


class RefundRefused(Exception):
    """The refund is not allowed (too much, not paid, approved by its requester...)."""


# --- settings and methods -------------------------------------------------------------------

def setting_for(municipality, provider_code: str, enabled_only: bool = True) -> ProviderSetting | None:
    rows = ProviderSetting.objects.filter(municipality=municipality, provider=provider_code)
    if enabled_only:
        rows = rows.filter(enabled=True)
    return rows.first()


@dataclasses.dataclass(frozen=True)
class MethodChoice:
    provider: str
    method: str
    label: str


def online_methods(municipality) -> list[MethodChoice]:
    """The methods the city turned on for online payment, in the order it listed them."""
    from madoguchi.payments.models import Method
    from madoguchi.payments.providers import registry

    choices = []
    for setting in ProviderSetting.objects.filter(municipality=municipality, enabled=True).order_by("pk"):
        cls = registry.get(setting.provider)
        if cls is None or not cls.redirects:
            continue
        for method in setting.methods or []:
            if method in cls.methods:
                label = Method(method).label if method in Method.values else method
                choices.append(MethodChoice(setting.provider, method, label))
    return choices


def checkout_origins(municipality) -> list[str]:
    """Origins the pay page's forms are redirected on to (the provider's checkout page)."""
    origins: list[str] = []
    for setting in ProviderSetting.objects.filter(municipality=municipality, enabled=True):
        try:
            origins += provider_for(setting).checkout_origins()
        except UnknownProvider:
            continue
    return list(dict.fromkeys(origins))


def _provider_of(attempt: Attempt, providers: "Providers | None" = None) -> PaymentProvider:
    """The provider for an attempt, from its city's setting even when since turned off: what
    was started there must still be reconciled and refunded. With `providers` (one
    reconciliation pass) the instance built for the same city and provider is reused."""
    if providers is not None:
        return providers.of(attempt)
    setting = setting_for(attempt.charge.municipality_id, attempt.provider, enabled_only=False)
    if setting is None:
        raise ProviderRefused("no setting for this provider", code="no_setting")
    return provider_for(setting)


class Providers:
    """The providers of one reconciliation pass, one per (city, provider code): each city's
    setting is read (and its secrets decrypted) once, and every attempt of that city is asked
    through the same provider instance — so through one HTTP client, whose connection to the
    provider is kept open from call to call instead of a new TCP (and TLS) connection each
    time. A setting changed during the pass is seen by the next pass (a minute later)."""

    def __init__(self):
        self._built: dict[tuple[int, str], PaymentProvider | None] = {}

    def of(self, attempt: Attempt) -> PaymentProvider:
        key = (attempt.charge.municipality_id, attempt.provider)
        if key not in self._built:
            setting = setting_for(key[0], key[1], enabled_only=False)
            self._built[key] = provider_for(setting) if setting is not None else None
        found = self._built[key]
        if found is None:
            raise ProviderRefused("no setting for this provider", code="no_setting")
        return found


# --- charges --------------------------------------------------------------------------------

def _lines_of(quote) -> tuple[list, int, str]:
    """(lines, total, revenue code) of a FeeQuote or of its stored JSON (Submission.fee_lines)."""
    data = quote.as_json() if isinstance(quote, FeeQuote) else quote
    return list(data.get("lines") or []), int(data.get("total_yen") or 0), str(data.get("revenue_code") or "")


def open_charge(submission: Submission, kind: str, quote, actor: Actor | None = None) -> Charge:
    """The open (due) charge for a submission: created once; called again it returns the
    same one (the conditional unique constraint refuses a second open charge)."""
    lines, total, revenue_code = _lines_of(quote)
    if total <= 0:
        raise PaymentRefused(_("お支払いいただく手数料はありません。"))
    existing = Charge.objects.filter(submission=submission, status=Charge.Status.DUE).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            charge = Charge.objects.create(
                municipality=submission.municipality, submission=submission, kind=kind,
                amount_yen=total, lines=lines, revenue_code=revenue_code)
            audit.record(submission.municipality, actor or Actor.system(), "charge_opened", "charge",
                         charge.public_id, subject_ref=submission.subject_ref,
                         submission=str(submission.public_id), kind=kind, amount_yen=total)
    except IntegrityError:
        return Charge.objects.get(submission=submission, status=Charge.Status.DUE)
    return charge


def charge_for(submission: Submission) -> Charge | None:
    """What the pay page shows: the open charge (opened from the fee stored at submit when the
    submission awaits payment and none is open yet), else the latest paid one, else None."""
    due = Charge.objects.filter(submission=submission, status=Charge.Status.DUE).first()
    if due is not None:
        if submission.status == SubmissionStatus.WITHDRAWN:
            cancel_charges_of_withdrawn(submission, Actor.system())
            return None
        return due
    paid = Charge.objects.filter(submission=submission, status=Charge.Status.PAID).order_by("-paid_at").first()
    if submission.status == SubmissionStatus.AWAITING_PAYMENT and paid is None:
        quote = submission.fee_quote  # as stored at submit, or as the department fixed it
        if quote.total_yen > 0:
            kind = Charge.Kind.AFTER_REVIEW if submission.fee_deferred else Charge.Kind.AT_SUBMIT
            return open_charge(submission, kind, quote)
    return paid


def request_payment(submission: Submission, quote_or_amount, actor: Actor, note: str = "") -> Charge:
    """事後決済: the department fixed the amount (a FeeQuote or whole yen); the case waits
    入金待ち and the resident is asked to pay (applications.await_payment writes the timeline,
    the audit event and the mail), and the charge is opened in the same transaction."""
    with transaction.atomic():
        locked = application_services.await_payment(submission, quote_or_amount, actor, note=note)
        return open_charge(locked, Charge.Kind.AFTER_REVIEW, locked.fee_lines, actor)


# --- attempts -------------------------------------------------------------------------------

def return_url(attempt: Attempt) -> str:
    """Where the provider sends the resident back: the city's own site (core/cities.py)."""
    return cities.public_url(attempt.charge.municipality,
                             reverse("payments:return", args=[attempt.public_id]))


def cancel_url(attempt: Attempt) -> str:
    return cities.public_url(attempt.charge.municipality,
                             reverse("payments:cancel", args=[attempt.public_id]))


def _next_check(attempt: Attempt, now: datetime) -> datetime:
    """Back-off: 2, 4, 8 ... minutes up to an hour, but never later than just after expiry.
    `now` is when the attempt was asked (`_asked_at`), not when the job's pass began."""
    delay = min(FIRST_CHECK * (2 ** min(attempt.checks, 10)), MAX_BACKOFF)
    at = now + delay
    if attempt.expires_at and attempt.expires_at + EXPIRY_GRACE > now:
        at = min(at, attempt.expires_at + EXPIRY_GRACE)
    return at


def _asked_at(now: datetime) -> datetime:
    """When an attempt was actually asked: the clock after the provider answered. A pass of
    the job takes minutes over many attempts; a back-off counted from the pass's start would
    leave the attempts it asked early due again as soon as it ends. Never before `now` (a
    caller's `now` later than the clock — a test's, a replayed schedule's — still holds)."""
    return max(now, timezone.now())


def _record(attempt: Attempt, actor: Actor, action: str, **detail) -> None:
    charge = attempt.charge
    audit.record(charge.municipality, actor, f"payment_{action}", "payment_attempt", attempt.public_id,
                 subject_ref=charge.submission.subject_ref, charge=str(charge.public_id),
                 provider=attempt.provider, method=attempt.method, **detail)


def start_attempt(charge: Charge, provider: str, method: str, actor: Actor) -> Attempt:
    """Start paying (or continue): the live attempt for this charge, provider and method is
    reused — a reload or a double click lands on the same provider page — and a new attempt
    (with a new idempotency key) is made only when none is live. Raises PaymentRefused with a
    message for the resident when the method is off or the provider refuses."""
    now = timezone.now()
    setting = setting_for(charge.municipality, provider)
    if setting is None or method not in (setting.methods or []):
        raise PaymentRefused(_("この支払方法はいま使えません。別の方法をお選びください。"))
    impl = provider_for(setting)
    if not impl.redirects or method not in impl.methods:
        raise PaymentRefused(_("この支払方法はいま使えません。別の方法をお選びください。"))
    # an earlier live try past its expiry is settled first (the job may not have come yet)
    for stale in Attempt.objects.filter(charge=charge, provider=provider, method=method,
                                        state__in=states.LIVE, expires_at__lt=now):
        poll_attempt(stale, now=now)
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status == Charge.Status.DUE and _withdrawn(locked):
            _cancel_charge(locked, actor)
        if locked.status != Charge.Status.DUE:
            raise ChargeClosed(_("この手数料はお支払い済みか、申請が取り下げられています。"))
        attempt = Attempt.objects.filter(charge=locked, provider=provider, method=method,
                                         state__in=states.LIVE).first()
        if attempt is None:
            attempt = Attempt.objects.create(
                charge=locked, provider=provider, method=method, amount_yen=locked.amount_yen,
                idempotency_key=f"mdg-{uuid.uuid4().hex}", actor_ref=actor.ref,
                next_check_at=now + START_TIMEOUT)
            attempt.charge = locked
            _record(attempt, actor, "created", amount_yen=attempt.amount_yen)
    if attempt.state == AttemptState.PENDING and attempt.redirect_url:
        return attempt
    try:
        started = impl.start(attempt, return_url=return_url(attempt), cancel_url=cancel_url(attempt))
    except ProviderRefused as exc:
        _finish(attempt, AttemptState.FAILED, actor, error=exc.code)
        raise PaymentRefused(_("お支払いを始められませんでした。別の方法をお選びいただくか、"
                               "時間をおいてもう一度お試しください。")) from exc
    except ProviderError as exc:
        Attempt.objects.filter(pk=attempt.pk).update(last_error=exc.code[:200])
        raise PaymentRefused(_("決済事業者につながりませんでした。時間をおいてもう一度お試しください"
                               "（二重に請求されることはありません）。")) from exc
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().select_related("charge").get(pk=attempt.pk)
        if attempt.state == AttemptState.CREATED:
            attempt.provider_ref = started.provider_ref
            attempt.redirect_url = started.redirect_url
            attempt.expires_at = started.expires_at
            attempt.provider_data = {**(attempt.provider_data or {}), **(started.data or {})}
            states.move(attempt, AttemptState.PENDING, now)
            attempt.next_check_at = now + FIRST_CHECK
            attempt.last_error = ""
            attempt.save()
            _record(attempt, actor, "started", provider_ref=started.provider_ref)
    return attempt


def _finish(attempt: Attempt, target: str, actor: Actor, error: str = "") -> Attempt:
    """Move a live attempt to failed, expired or cancelled (never over a success)."""
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().select_related("charge").get(pk=attempt.pk)
        if states.can_move(locked.state, target) and locked.state in states.LIVE:
            states.move(locked, target)
            locked.last_error = (error or locked.last_error)[:200]
            locked.save()
            _record(locked, actor, target, error=error)
        return locked


def poll_attempt(attempt: Attempt, now: datetime | None = None, actor: Actor | None = None,
                 providers: Providers | None = None) -> Attempt:
    """Ask the provider once and apply what it says. A provider that cannot be reached leaves
    the attempt as it was, to be asked again later. Past its expiry an attempt still pending
    is cancelled at the provider, asked once more (a last-second payment wins), then expired.
    `now` decides what is expired; the next check counts from when the provider answered.
    `providers`: the pass's providers (see `Providers`), else built for this call."""
    now = now or timezone.now()
    actor = actor or Actor.system()
    if attempt.state not in states.LIVE:
        return attempt
    if not attempt.provider_ref:
        if attempt.created_at and attempt.created_at + START_TIMEOUT < now:
            return _finish(attempt, AttemptState.EXPIRED, actor, error="never_started")
        return attempt
    try:
        impl = _provider_of(attempt, providers)
        outcome = impl.status(attempt)
        if outcome.state == AttemptState.PENDING and _past_expiry(attempt, outcome, now):
            try:
                impl.cancel(attempt)
            except ProviderError as exc:
                log.info("cancel at provider failed for attempt %s: %s", attempt.pk, exc.code)
            outcome = impl.status(attempt)
            if outcome.state == AttemptState.PENDING:
                outcome = dataclasses.replace(outcome, state=AttemptState.EXPIRED)
    except ProviderError as exc:
        Attempt.objects.filter(pk=attempt.pk).update(
            last_error=exc.code[:200], checks=attempt.checks + 1,
            next_check_at=_next_check(attempt, _asked_at(now)))
        log.info("poll failed for attempt %s: %s", attempt.pk, exc.code)
        return Attempt.objects.get(pk=attempt.pk)
    return apply_outcome(attempt, outcome, actor=actor, now=now)


def _past_expiry(attempt: Attempt, outcome: Outcome, now: datetime) -> bool:
    expires = outcome.expires_at or attempt.expires_at
    return expires is not None and expires + EXPIRY_GRACE < now


def apply_outcome(attempt: Attempt, outcome: Outcome, actor: Actor | None = None,
                  now: datetime | None = None) -> Attempt:
    """What a poll or a webhook learnt, applied: success goes through `settle`; failure,
    expiry and cancellation finish a live attempt; pending schedules the next check, counted
    from now on the clock (when the answer came), not from the caller's `now`."""
    now = now or timezone.now()
    actor = actor or Actor.system()
    if outcome.state == AttemptState.SUCCEEDED:
        return settle(attempt, outcome, actor=actor)
    if outcome.state in (AttemptState.FAILED, AttemptState.EXPIRED, AttemptState.CANCELLED):
        return _finish(attempt, outcome.state, actor, error=outcome.raw_status)
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state in states.LIVE:
            if locked.state == AttemptState.CREATED and locked.provider_ref:
                states.move(locked, AttemptState.PENDING)
            if outcome.expires_at:
                locked.expires_at = outcome.expires_at
            locked.checks += 1
            locked.next_check_at = _next_check(locked, _asked_at(now))
            locked.save(update_fields=["state", "expires_at", "checks", "next_check_at"])
        return locked


def handle_return(attempt: Attempt, actor: Actor | None = None) -> Attempt:
    """The resident came back from the provider: ask the provider once (the query string
    proves nothing) and show what it says; the job keeps asking if it is still pending."""
    return poll_attempt(attempt, actor=actor)


def cancel_attempt(attempt: Attempt, actor: Actor) -> Attempt:
    """The resident left the provider's page by its back link: if nothing was paid, close the
    session there so it cannot be paid later, and let another method be chosen."""
    attempt = poll_attempt(attempt, actor=actor)
    if attempt.state not in states.LIVE:
        return attempt
    if attempt.provider_ref:
        try:
            impl = _provider_of(attempt)
            impl.cancel(attempt)
            outcome = impl.status(attempt)
        except ProviderError as exc:
            log.info("cancel failed for attempt %s: %s", attempt.pk, exc.code)
            return attempt  # still live: the job decides later
        if outcome.state == AttemptState.SUCCEEDED:
            return settle(attempt, outcome, actor=actor)
        if outcome.state == AttemptState.PENDING:
            return attempt  # e.g. a konbini slip already issued: it may still be paid
    return _finish(attempt, AttemptState.CANCELLED, actor)


# --- settling -------------------------------------------------------------------------------

def settle(attempt: Attempt, outcome: Outcome, actor: Actor | None = None) -> Attempt:
    """The only place an attempt turns succeeded. Locks the charge, then the attempt (the same
    order everywhere), so the webhook, the return and the job settle a charge once.

    The first success pays the charge, moves the submission on (applications'
    payment_received), is audited and mailed (once: the mail's dedupe key is the charge). A
    success on a charge already paid or cancelled is a duplicate: refunded automatically
    (Refund approved by the system, reason 二重決済, sent by the next reconciliation pass so
    the webhook is answered at once) and flagged for 会計課."""
    actor = actor or Actor.system()
    now = timezone.now()
    with transaction.atomic():
        charge = Charge.objects.select_for_update().get(pk=attempt.charge_id)
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        locked.charge = charge
        if locked.state in states.PAID:
            return locked
        if outcome.provider_ref and not locked.provider_ref:
            locked.provider_ref = outcome.provider_ref
        paid = outcome.paid_amount_yen if outcome.paid_amount_yen is not None else locked.amount_yen
        if charge.status == Charge.Status.DUE and _withdrawn(charge):
            _cancel_charge(charge, actor)  # paid for an application no longer pursued: refunded below
        if charge.status == Charge.Status.DUE:
            action = states.move(locked, AttemptState.SUCCEEDED, now)
            if paid != charge.amount_yen:
                locked.flag_reason, locked.flagged_at = "amount_mismatch", now
            locked.save()
            charge.status, charge.paid_at, charge.paid_attempt = Charge.Status.PAID, now, locked
            charge.save(update_fields=["status", "paid_at", "paid_attempt"])
            _record(locked, actor, "succeeded", amount_yen=paid, via=action)
            _submission_paid(charge, actor)
        else:
            action = states.move(locked, AttemptState.DUPLICATE, now)
            locked.flag_reason = "duplicate" if charge.status == Charge.Status.PAID else "charge_cancelled"
            locked.flagged_at = now
            locked.save()
            refund = Refund.objects.create(
                attempt=locked, amount_yen=paid, reason=DUPLICATE_REASON, automatic=True,
                requested_by=Actor.system().ref, approved_by=Actor.system().ref,
                state=Refund.State.APPROVED, approved_at=now,
                idempotency_key=f"mdg-refund-{locked.public_id.hex}")
            _record(locked, actor, "duplicate", amount_yen=paid, refund=str(refund.public_id), via=action)
        return locked


def _withdrawn(charge: Charge) -> bool:
    return Submission.objects.filter(pk=charge.submission_id, status=SubmissionStatus.WITHDRAWN).exists()


def _cancel_charge(charge: Charge, actor: Actor) -> None:
    """Close a due charge (the caller holds its lock): its application was withdrawn. Live
    attempts are left to the job, which finds them expired or paid (then refunded)."""
    charge.status = Charge.Status.CANCELLED
    charge.save(update_fields=["status"])
    audit.record(charge.municipality, actor, "charge_cancelled", "charge", charge.public_id,
                 subject_ref=charge.submission.subject_ref, submission=str(charge.submission.public_id))


def cancel_charges_of_withdrawn(submission: Submission, actor: Actor) -> None:
    """The application was withdrawn while its fee was due: nothing more is owed."""
    with transaction.atomic():
        for charge in Charge.objects.select_for_update().filter(submission=submission, status=Charge.Status.DUE):
            _cancel_charge(charge, actor)


def _submission_paid(charge: Charge, actor: Actor) -> None:
    submission = Submission.objects.select_for_update().get(pk=charge.submission_id)
    application_services.payment_received(submission, actor)
    application_services.tell_applicant(submission, "paid", "paid", {"submission": submission, "charge": charge},
                                        f"paid:{charge.pk}", template_dir="payments/mail")


# --- webhooks -------------------------------------------------------------------------------

def handle_webhook(provider: str, body: bytes, headers: dict, municipality=None) -> int:
    """Verify, store once, settle; returns how many events were new. Raises WebhookRefused
    (the view answers 400) when no city's secret verifies it, UnknownProvider for a code
    nothing is registered under. Slow work (refunds) is left to the job."""
    provider_class(provider)  # UnknownProvider: nothing to verify with
    headers = {k.lower(): v for k, v in headers.items()}
    settings_rows = ProviderSetting.objects.filter(provider=provider).select_related("municipality")
    if municipality is not None:
        settings_rows = settings_rows.filter(municipality=municipality)
    events, setting = None, None
    for candidate in settings_rows:
        try:
            events = provider_for(candidate).parse_webhook(body, headers)
        except WebhookRefused:
            continue
        setting = candidate
        break
    if setting is None:
        raise WebhookRefused("no configured secret verifies this webhook")
    new = 0
    for event in events:
        new += _store_event(setting, event)
    return new


def _attempt_for_event(setting: ProviderSetting, event: WebhookEvent) -> Attempt | None:
    rows = Attempt.objects.filter(provider=setting.provider, charge__municipality=setting.municipality)
    if event.provider_ref:
        found = rows.filter(provider_ref=event.provider_ref).first()
        if found is not None:
            return found
    if event.attempt_ref:
        try:
            return rows.filter(public_id=uuid.UUID(str(event.attempt_ref))).first()
        except ValueError:
            return None
    return None


def _store_event(setting: ProviderSetting, event: WebhookEvent) -> int:
    now = timezone.now()
    attempt = _attempt_for_event(setting, event)
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = ProviderEvent.objects.create(
                    provider=setting.provider, event_id=event.event_id[:255], attempt=attempt,
                    kind=event.kind[:100], provider_ref=event.provider_ref[:255],
                    state=event.state or "")
        except IntegrityError:
            return 0  # a replay: already stored and applied
        if attempt is not None:
            if event.state is None:
                Attempt.objects.filter(pk=attempt.pk, state__in=states.LIVE).update(next_check_at=now)
            elif event.state == AttemptState.SUCCEEDED or attempt.state in states.LIVE:
                apply_outcome(attempt, Outcome(state=event.state, provider_ref=event.provider_ref,
                                               paid_amount_yen=event.paid_amount_yen,
                                               raw_status=event.kind[:100]), now=now)
        stored.processed_at = now
        stored.save(update_fields=["processed_at"])
    return 1


# --- the job --------------------------------------------------------------------------------

def _claim_due(now: datetime, limit: int) -> list[int]:
    """Take up to `limit` due attempts for this runner: their next check is pushed a lease
    ahead in one committed statement, so a second runner passes them by."""
    with transaction.atomic():
        rows = (Attempt.objects.filter(state__in=states.LIVE, next_check_at__lte=now)
                .order_by("next_check_at").values_list("pk", flat=True))
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows[:limit])
        if ids:
            Attempt.objects.filter(pk__in=ids).update(next_check_at=now + CLAIM_LEASE)
    return ids


def reconcile(now: datetime | None = None, limit: int = 500) -> dict:
    """One pass of the reconciliation job: poll every live attempt whose check is due (back-off
    after each), expire what ran out, send approved refunds. Returns counts by outcome.
    `now` (the pass's start) decides what is due and what ran out; each attempt's next check
    counts from when it was asked. One provider instance per city and provider serves the
    whole pass (`Providers`)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    providers = Providers()
    while True:
        ids = _claim_due(now, limit)
        for attempt in Attempt.objects.filter(pk__in=ids).select_related("charge__municipality"):
            try:
                after = poll_attempt(attempt, now=now, providers=providers)
            except Exception:  # noqa: BLE001 - one attempt's surprise must not stop the pass
                log.exception("reconciling attempt %s failed", attempt.pk)
                counts["error"] = counts.get("error", 0) + 1
                continue
            counts[after.state] = counts.get(after.state, 0) + 1
        if len(ids) < limit:
            break
    for refund in Refund.objects.filter(state=Refund.State.APPROVED).select_related("attempt__charge")[:limit]:
        done = execute_refund(refund, providers=providers)
        key = f"refund_{done.state}"
        counts[key] = counts.get(key, 0) + 1
    return counts


# --- refunds (還付) --------------------------------------------------------------------------

def refundable_yen(attempt: Attempt) -> int:
    taken = (attempt.refunds.exclude(state=Refund.State.FAILED)
             .aggregate(total=Sum("amount_yen"))["total"] or 0)
    return max(attempt.amount_yen - taken, 0)


def request_refund(attempt: Attempt, amount_yen: int, reason: str, actor: Actor) -> Refund:
    """A refund asked for by staff: partial allowed; all refunds together never exceed what
    was paid. It waits for another person's approval (approve_refund)."""
    if not isinstance(amount_yen, int) or amount_yen <= 0:
        raise RefundRefused(_("返金額は1円以上の整数で入力してください。"))
    reason = (reason or "").strip()
    if not reason:
        raise RefundRefused(_("返金の理由を入力してください。"))
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().select_related("charge").get(pk=attempt.pk)
        if locked.state not in states.PAID:
            raise RefundRefused(_("支払済みでない決済は返金できません。"))
        if amount_yen > refundable_yen(locked):
            raise RefundRefused(_("返金できるのは%(amount)s円までです。") % {"amount": f"{refundable_yen(locked):,}"})
        refund = Refund.objects.create(
            attempt=locked, amount_yen=amount_yen, reason=reason[:200], requested_by=actor.ref,
            idempotency_key=f"mdg-refund-{uuid.uuid4().hex}")
        _record(locked, actor, "refund_requested", refund=str(refund.public_id), amount_yen=amount_yen)
    return refund


def approve_refund(refund: Refund, actor: Actor) -> Refund:
    """A second person approves (the requester cannot) and the refund is sent at once."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update().select_related("attempt__charge").get(pk=refund.pk)
        if locked.state != Refund.State.REQUESTED:
            return locked
        if locked.requested_by == actor.ref:
            raise RefundRefused(_("返金の承認は、申請した職員とは別の職員が行ってください。"))
        locked.state, locked.approved_by, locked.approved_at = Refund.State.APPROVED, actor.ref, timezone.now()
        locked.save(update_fields=["state", "approved_by", "approved_at"])
        _record(locked.attempt, actor, "refund_approved", refund=str(locked.public_id))
    return execute_refund(locked, actor)


def execute_refund(refund: Refund, actor: Actor | None = None, providers: Providers | None = None) -> Refund:
    """Send an approved refund to the provider (idempotent on the refund's key). An error that
    may pass leaves it approved for the job to retry; a refusal marks it failed and flags the
    payment for 会計課."""
    actor = actor or Actor.system()
    if refund.state != Refund.State.APPROVED:
        return refund
    attempt = refund.attempt
    try:
        ref = _provider_of(attempt, providers).refund(attempt, refund.amount_yen, refund.reason, refund.idempotency_key)
    except ProviderRefused as exc:
        with transaction.atomic():
            Refund.objects.filter(pk=refund.pk).update(state=Refund.State.FAILED, last_error=exc.code[:200])
            Attempt.objects.filter(pk=attempt.pk, flagged_at__isnull=True).update(
                flag_reason="refund_failed", flagged_at=timezone.now())
            _record(attempt, actor, "refund_failed", refund=str(refund.public_id), error=exc.code)
        return Refund.objects.get(pk=refund.pk)
    except ProviderError as exc:
        Refund.objects.filter(pk=refund.pk).update(last_error=exc.code[:200])
        return Refund.objects.get(pk=refund.pk)
    with transaction.atomic():
        Refund.objects.filter(pk=refund.pk, state=Refund.State.APPROVED).update(
            state=Refund.State.DONE, provider_ref=ref[:255], done_at=timezone.now(), last_error="")
        _record(attempt, actor, "refunded", refund=str(refund.public_id), amount_yen=refund.amount_yen)
    return Refund.objects.get(pk=refund.pk)


# --- the counter ----------------------------------------------------------------------------

def record_counter_payment(charge: Charge, method: str, amount_yen: int, slip_number: str,
                           actor: Actor) -> Attempt:
    """A fee taken at the counter (cash, or the city's terminal with its slip number): the
    same Attempt record as online, settled at once. The whole amount, once: a charge no
    longer due is refused (the clerk sees it paid)."""
    if method not in [str(m) for m in COUNTER_METHODS]:
        raise PaymentRefused(_("窓口で使えない支払方法です。"))
    if method != "cash" and not (slip_number or "").strip():
        raise PaymentRefused(_("端末の伝票番号を入力してください。"))
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status != Charge.Status.DUE:
            raise ChargeClosed(_("この手数料はお支払い済みです。"))
        if amount_yen != locked.amount_yen:
            raise PaymentRefused(_("金額が請求額（%(amount)s円）と一致しません。") % {"amount": f"{locked.amount_yen:,}"})
        attempt = Attempt.objects.create(
            charge=locked, provider="counter", method=method, amount_yen=amount_yen,
            idempotency_key=f"mdg-{uuid.uuid4().hex}", slip_number=(slip_number or "").strip()[:64],
            actor_ref=actor.ref)
        attempt.charge = locked
        _record(attempt, actor, "created", amount_yen=amount_yen)
        return settle(attempt, Outcome(state=AttemptState.SUCCEEDED, paid_amount_yen=amount_yen), actor)


def clear_flag(attempt: Attempt, actor: Actor) -> None:
    """会計課 has looked at a flagged payment (duplicate, amount mismatch, failed refund)."""
    with transaction.atomic():
        updated = Attempt.objects.filter(pk=attempt.pk, flagged_at__isnull=False, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now(), reviewed_by=actor.ref)
        if updated:
            _record(Attempt.objects.select_related("charge").get(pk=attempt.pk), actor, "flag_cleared")


def flagged_attempts(municipality):
    return (Attempt.objects.filter(charge__municipality=municipality, flagged_at__isnull=False,
                                   reviewed_at__isnull=True).order_by("flagged_at"))

