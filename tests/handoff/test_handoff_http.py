"""The HTTP target against a local business system that verifies Standard Webhooks signatures
and dedupes on webhook-id: delivery, refusal of a wrong signature, retries with back-off, the
stop after the time limit, 再送 (delivered once), a worker killed mid-delivery, inline delivery."""

from datetime import timedelta

import handoff_support
import pytest
from django.urls import reverse
from django.utils import timezone
from handoff_support import CODE, accepted_case

from madoguchi.core.models import AuditEvent
from madoguchi.handoff import config, services
from madoguchi.handoff.models import Handoff, State
from madoguchi.handoff.payload import build

pytestmark = pytest.mark.django_db
targets, target_server, http_target = (handoff_support.targets, handoff_support.target_server,
                                       handoff_support.http_target)


def test_delivered_signed_and_verified(resident_client, staff, http_target):
    case = accepted_case(resident_client, staff)
    handoff = Handoff.objects.get(submission=case)
    assert services.deliver_pending() == 1
    handoff.refresh_from_db()
    assert handoff.state == State.DELIVERED and handoff.last_error == ""
    assert http_target.refused == 0
    assert list(http_target.accepted) == [str(handoff.public_id)]
    data = http_target.accepted[str(handoff.public_id)]["data"]
    assert data["case"]["receipt_number"] == case.receipt_number and data["event"] == "accepted"
    assert data["case"]["procedure_code"] == CODE
    assert "claimant_my_number" not in data["answers"]


def test_a_wrong_secret_is_refused_by_the_target_and_fails_at_once(resident_client, staff, targets,
                                                                    target_server, tmp_path):
    secret_file = tmp_path / "wrong.secret"
    secret_file.write_text(handoff_support.new_secret())
    targets.write({"name": "api", "kind": "http", "procedures": [CODE], "events": ["accepted"],
                   "url": target_server.url, "secret_file": str(secret_file)})
    case = accepted_case(resident_client, staff)
    assert services.deliver_pending() == 0
    handoff = Handoff.objects.get(submission=case)
    assert (handoff.state, handoff.last_error) == (State.FAILED, "http_401")
    assert target_server.refused == 1 and not target_server.accepted


def test_retries_back_off_then_deliver(resident_client, staff, http_target):
    http_target.fail_next(2)
    case = accepted_case(resident_client, staff)
    handoff = Handoff.objects.get(submission=case)
    start = timezone.now()
    assert services.deliver_pending(now=start) == 0
    handoff.refresh_from_db()
    assert (handoff.state, handoff.last_error, handoff.attempts) == (State.PENDING, "http_503", 1)
    assert handoff.next_attempt_at == start + timedelta(seconds=30)
    assert services.deliver_pending(now=start + timedelta(seconds=29)) == 0
    assert len(http_target.posts) == 1  # not due yet: not tried
    assert services.deliver_pending(now=start + timedelta(seconds=30)) == 0
    handoff.refresh_from_db()
    assert handoff.next_attempt_at == start + timedelta(seconds=90)  # then 60 s
    assert services.deliver_pending(now=start + timedelta(seconds=90)) == 1
    handoff.refresh_from_db()
    assert (handoff.state, handoff.attempts) == (State.DELIVERED, 3)
    assert len(http_target.accepted) == 1


def test_backoff_is_capped():
    assert services.backoff(1) == timedelta(seconds=30)
    assert services.backoff(4) == timedelta(seconds=240)
    assert services.backoff(40) == timedelta(hours=1)


def run_until_given_up(handoff) -> int:
    """Move the clock from each attempt to the next until the hand-off stops; the attempts."""
    now = timezone.now()
    for _turn in range(100):
        handoff.refresh_from_db()
        if handoff.state != State.PENDING:
            return handoff.attempts
        now = max(now, handoff.next_attempt_at)
        services.deliver_pending(now=now)
    raise AssertionError("never stopped")


def test_stops_after_the_time_limit_and_shows_as_failed(client, resident_client, staff, http_target, settings):
    settings.MADOGUCHI_HANDOFF_GIVE_UP_HOURS = 2
    http_target.fail_next(None)  # down until fixed
    case = accepted_case(resident_client, staff)
    handoff = Handoff.objects.get(submission=case)
    attempts = run_until_given_up(handoff)
    assert handoff.state == State.FAILED and handoff.last_error == "http_503"
    assert 6 <= attempts <= 12  # 30 s, 1, 2, 4 … min, the last one at the limit
    assert handoff.last_attempt_at >= handoff.give_up_at  # the last attempt was at the limit

    client.force_login(staff["kodomo-tanto"])
    page = client.get(reverse("handoff:index")).content.decode()
    assert f'id="handoff-{handoff.public_id}" data-state="failed"' in page
    assert "HTTP 503" in page
    assert f'id="resend-{handoff.public_id}"' in page
    panel = client.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert 'class="handoff" data-state="failed"' in panel and f'id="resend-{handoff.public_id}"' in panel


def test_resend_after_the_stop_delivers_exactly_once(client, resident_client, staff, http_target):
    """Open Forms #1957: a 再送 must work after the automatic retries ended; and a 再送 of a
    delivered hand-off sends nothing."""
    http_target.fail_next(None)
    case = accepted_case(resident_client, staff)
    handoff = Handoff.objects.get(submission=case)
    Handoff.objects.filter(pk=handoff.pk).update(give_up_at=timezone.now())
    services.deliver_pending()
    handoff.refresh_from_db()
    assert handoff.state == State.FAILED
    http_target.recover()

    client.force_login(staff["kodomo-tanto"])
    url = reverse("handoff:resend", args=[handoff.public_id])
    page = client.post(url, follow=True).content.decode()
    assert "resend-delivered" in page
    handoff.refresh_from_db()
    assert handoff.state == State.DELIVERED and handoff.resends == 1
    assert handoff.give_up_at > timezone.now() + timedelta(hours=23)  # the stop was reset
    assert list(http_target.accepted) == [str(handoff.public_id)]
    posts = len(http_target.posts)

    page = client.post(url, {"next": reverse("casework:case", args=[case.public_id])}, follow=True)
    assert "refused-already-delivered" in page.content.decode()
    assert page.request["PATH_INFO"] == reverse("casework:case", args=[case.public_id])
    assert len(http_target.posts) == posts  # nothing was sent again
    events = AuditEvent.objects.filter(action="handoff_resend", target_id=str(handoff.public_id))
    assert events.count() == 1 and events.get().actor_ref == f"staff:{staff['kodomo-tanto'].pk}"


def test_a_worker_killed_mid_delivery_does_not_deliver_twice(resident_client, staff, http_target):
    """The target took the request, the worker died before recording it: after the lease the
    next worker sends it again with the same webhook-id, and the deduping target holds one."""
    case = accepted_case(resident_client, staff)
    now = timezone.now()
    claimed = services._claim(now)
    config.target(case.municipality, claimed.target).deliver(claimed, build(claimed))  # then: killed
    assert services.deliver_pending(now=now + timedelta(seconds=60)) == 0  # the lease holds
    assert services.deliver_pending(now=now + timedelta(minutes=3)) == 1
    handoff = Handoff.objects.get(submission=case)
    assert (handoff.state, handoff.interruptions) == (State.DELIVERED, 1)
    assert http_target.posts == [str(handoff.public_id)] * 2
    assert list(http_target.accepted) == [str(handoff.public_id)]


def test_a_stale_worker_cannot_overwrite_the_outcome(resident_client, staff, http_target):
    """A worker whose lease ran out and was taken over does not record its late outcome."""
    case = accepted_case(resident_client, staff)
    now = timezone.now()
    stale = services._claim(now)
    assert services.deliver_pending(now=now + timedelta(minutes=3)) == 1
    http_target.fail_next(1, status=500)
    services._deliver(stale, now)  # the old worker wakes up and fails
    handoff = Handoff.objects.get(submission=case)
    assert handoff.state == State.DELIVERED and handoff.last_error == ""


def test_a_delivery_that_keeps_killing_its_worker_ends_failed(resident_client, staff, http_target):
    case = accepted_case(resident_client, staff)
    now = timezone.now()
    for turn in range(services.MAX_INTERRUPTIONS):
        assert services._claim(now + timedelta(minutes=3 * turn)) is not None  # and dies
    assert services._claim(now + timedelta(minutes=3 * services.MAX_INTERRUPTIONS)) is None
    handoff = Handoff.objects.get(submission=case)
    assert (handoff.state, handoff.last_error) == (State.FAILED, "interrupted")


def test_inline_mode_delivers_right_after_the_commit(resident_client, staff, http_target, settings,
                                                     django_capture_on_commit_callbacks):
    settings.MADOGUCHI_HANDOFF_MODE = "inline"
    with django_capture_on_commit_callbacks(execute=True):
        case = accepted_case(resident_client, staff)
    handoff = Handoff.objects.get(submission=case)
    assert handoff.state == State.DELIVERED
    assert list(http_target.accepted) == [str(handoff.public_id)]


def test_a_target_that_does_not_answer_is_retried(resident_client, staff, http_target, targets, tmp_path):
    targets.write({"name": "jidou-teate-api", "kind": "http", "procedures": [CODE], "events": ["accepted"],
                   "url": "http://127.0.0.1:9/handoffs", "secret_file": str(tmp_path / "target.secret")})
    case = accepted_case(resident_client, staff)
    services.deliver_pending()
    handoff = Handoff.objects.get(submission=case)
    assert (handoff.state, handoff.last_error) == (State.PENDING, "connection_failed")


def test_http_settings_refuse_plain_http_elsewhere(targets):
    from madoguchi.handoff.targets.http import HttpTarget

    base = {"name": "a", "kind": "http", "procedures": [CODE], "events": ["decided"], "secret_file": "/x"}
    HttpTarget.Settings.model_validate({**base, "url": "https://kokuho.example.lg.jp/in"})
    with pytest.raises(Exception):  # noqa: B017, PT011 - pydantic's ValidationError
        HttpTarget.Settings.model_validate({**base, "url": "http://kokuho.example.lg.jp/in"})
