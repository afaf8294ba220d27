"""The reconciliation job's pace: each attempt's next check is counted from when it was asked,
one pass builds one provider (one HTTP client) per city and reads each city's setting once,
and the `stripe` library's per-request lines stay out of the log.

Through the real `stripe` and `paypayopa` clients against the local protocol servers."""

# ruff: noqa: F811 - the shared fixtures are imported by name
import logging
from datetime import timedelta

import paypayopa
import pytest
import stripe
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from payment_support import awaiting_submission, stripe_city, stripe_server  # noqa: F401
from paypay_server import LocalPayPay
from paypay_server import configure_city as configure_paypay

from madoguchi.core.actors import Actor
from madoguchi.payments import services
from madoguchi.payments.models import Attempt, AttemptState
from madoguchi.payments.providers.paypay import PayPayProvider
from madoguchi.payments.providers.stripe import StripeProvider

pytestmark = pytest.mark.django_db


def _started(resident, count: int, provider: str = "stripe", method: str = "card") -> list[Attempt]:
    """`count` pending attempts of one city, each for its own submission."""
    actor = Actor.resident(resident.pk)
    attempts = []
    for _ in range(count):
        charge = services.charge_for(awaiting_submission(resident))
        attempts.append(services.start_attempt(charge, provider, method, actor))
    assert all(a.state == AttemptState.PENDING for a in attempts)
    return attempts


def _counting(monkeypatch, owner, name: str) -> list:
    """Wrap `owner.name` (a class) so each construction is recorded."""
    original = getattr(owner, name)
    built = []

    class Counted(original):
        def __init__(self, *args, **kwargs):
            built.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(owner, name, Counted)
    return built


def test_the_next_check_counts_from_when_the_attempt_was_asked(stripe_city, resident, monkeypatch):
    """A pass longer than the back-off: each pending attempt's next check is its own check's
    time plus the back-off, so none is due again when the pass ends."""
    attempts = _started(resident, 3)
    start = timezone.now() + timedelta(minutes=3)  # all due (first check after 2 min)
    clock = {"now": start}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    asked_at = {}
    status = StripeProvider.status

    def slow_status(self, attempt):  # each answer takes 100 s: the pass lasts 300 s > 4 min
        clock["now"] += timedelta(seconds=100)
        asked_at[attempt.pk] = clock["now"]
        return status(self, attempt)

    monkeypatch.setattr(StripeProvider, "status", slow_status)
    assert services.reconcile(now=start) == {"pending": 3}
    end = clock["now"]
    assert end - start == timedelta(seconds=300)
    for attempt in attempts:
        attempt.refresh_from_db()
        assert attempt.checks == 1  # the back-off after a first check: 4 min
        assert attempt.next_check_at == asked_at[attempt.pk] + 2 * services.FIRST_CHECK
    assert not Attempt.objects.filter(state__in=[AttemptState.PENDING], next_check_at__lte=end).exists()
    assert services.reconcile(now=end) == {}  # the next run right after the pass asks nobody


def test_an_unreachable_provider_is_asked_again_from_when_it_failed(stripe_city, resident, stripe_server,
                                                                     monkeypatch):
    [attempt] = _started(resident, 1)
    start = timezone.now() + timedelta(minutes=3)
    failed_at = start + timedelta(seconds=40)
    stripe_server.state.fail_next = [503] * 10  # the provider cannot answer
    monkeypatch.setattr(timezone, "now", lambda: failed_at)  # the call took 40 s to fail
    assert services.reconcile(now=start) == {"pending": 1}
    attempt.refresh_from_db()
    assert attempt.last_error.startswith("stripe_")
    assert attempt.next_check_at == failed_at + services.FIRST_CHECK


def test_one_pass_builds_one_stripe_provider_and_one_client_per_city(stripe_city, resident, monkeypatch):
    _started(resident, 4)
    instances = []
    init = StripeProvider.__init__

    def counted_init(self, setting):
        instances.append(self)
        init(self, setting)

    monkeypatch.setattr(StripeProvider, "__init__", counted_init)
    clients = _counting(monkeypatch, stripe, "StripeClient")
    http_clients = _counting(monkeypatch, stripe, "RequestsClient")
    counts = services.reconcile(now=timezone.now() + timedelta(minutes=3))
    assert counts == {"pending": 4}
    assert (len(instances), len(clients), len(http_clients)) == (1, 1, 1)


@pytest.fixture
def paypay():
    with LocalPayPay() as server:
        server.faults.webhook = "hold"
        yield server


def test_one_pass_builds_one_paypay_client_per_city(city, resident, paypay, monkeypatch):
    configure_paypay(city, paypay)
    _started(resident, 3, provider="paypay", method="paypay")
    instances = []
    init = PayPayProvider.__init__

    def counted_init(self, setting):
        instances.append(self)
        init(self, setting)

    monkeypatch.setattr(PayPayProvider, "__init__", counted_init)
    clients = _counting(monkeypatch, paypayopa, "Client")
    counts = services.reconcile(now=timezone.now() + timedelta(minutes=3))
    assert counts == {"pending": 3}
    assert (len(instances), len(clients)) == (1, 1)


def test_a_pass_reads_each_citys_setting_once(stripe_city, resident):
    """The setting (and its encrypted secrets) is read once per pass, not once per attempt;
    what each attempt costs in statements stays bounded."""
    _started(resident, 5)
    with CaptureQueriesContext(connection) as queries:
        assert services.reconcile(now=timezone.now() + timedelta(minutes=3)) == {"pending": 5}
    setting_reads = [q["sql"] for q in queries.captured_queries if "payments_providersetting" in q["sql"]]
    assert len(setting_reads) == 1
    # once: the claim (savepoint, select, update, release), the batch, the setting, the refunds;
    # per attempt: its transaction (a savepoint here), the lock and the update
    assert len(queries.captured_queries) <= 7 + 5 * 4


def test_a_poll_writes_no_stripe_info_line(stripe_city, resident, caplog):
    [attempt] = _started(resident, 1)
    caplog.set_level(logging.INFO)
    asked = services.poll_attempt(attempt, now=timezone.now() + timedelta(minutes=3))
    assert asked.checks == 1  # the library did call the provider
    assert not [r for r in caplog.records if r.name.startswith("stripe") and r.levelno < logging.WARNING]
