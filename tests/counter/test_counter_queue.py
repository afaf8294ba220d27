"""The counter visit and the queue ticket called to the clerk's window: the visit runs from the
call, and filing it finishes the ticket (its service time then feeds the wait estimate)."""

import pytest
import test_counter_filing as filing
import test_counter_services as shared
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.actors import Actor
from madoguchi.counter import services
from madoguchi.counter.models import CounterVisit, VisitStatus
from madoguchi.queueing import services as queue
from madoguchi.queueing.models import TicketStatus, VisitPurpose, Window

clerk, actor, family = shared.clerk, shared.actor, shared.family


@pytest.fixture
def called(city, staff):
    """A 転入 ticket issued at the kiosk and called to the first 住民異動 window (市民課)."""
    call_command("load_queue_demo", "--history-weeks", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    purpose = VisitPurpose.objects.get(group__municipality=city, group__code="jumin", code="tennyu")
    ticket, _ = queue.issue_ticket(purpose, "kiosk-1")
    window = Window.objects.filter(group=purpose.group).order_by("number").first()
    return queue.call_next(window, Actor.staff(staff["shimin-tanto"]))


def test_a_visit_started_from_the_called_ticket_runs_from_the_call(city, clerk, actor, family, called):
    visit = services.start_visit(city, clerk, actor, ticket=called)
    called.refresh_from_db()
    assert visit.ticket == called and called.status == TicketStatus.SERVING
    assert visit.called_at == called.called_at  # the visit's clock starts at the call

    filing._signed_moving_in(visit, actor, family)
    services.file_visit(visit, actor)
    called.refresh_from_db()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED and called.status == TicketStatus.DONE
    assert called.finished_at >= visit.finished_at
    assert visit.duration_seconds == int((visit.finished_at - called.called_at).total_seconds())


def test_a_ticket_is_taken_once_and_only_at_the_clerks_own_windows(city, clerk, actor, called, staff):
    services.start_visit(city, clerk, actor, ticket=called)
    with pytest.raises(services.VisitRefused, match="もう始まっています"):
        services.start_visit(city, clerk, actor, ticket=called)
    kodomo = staff["kodomo-tanto"]  # こども課: the 住民異動 windows are not theirs
    with pytest.raises(services.VisitRefused, match="呼び出し中ではありません"):
        services.start_visit(city, kodomo, Actor.staff(kodomo), ticket=called)
    assert CounterVisit.objects.filter(ticket=called).count() == 1


def test_a_ticket_not_yet_called_cannot_start_a_visit(city, clerk, actor, called):
    waiting, _ = queue.issue_ticket(called.purpose, "kiosk-2")
    with pytest.raises(services.VisitRefused, match="呼び出し中ではありません"):
        services.start_visit(city, clerk, actor, ticket=waiting)
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.ISSUED


def test_the_start_page_offers_the_called_ticket(client, clerk, called):
    client.force_login(clerk)
    page = client.get(reverse("counter:start")).content.decode()
    assert f'data-ticket="{called.pk}"' in page and called.label in page and 'id="start-without-ticket"' in page
    response = client.post(reverse("counter:start"), {"ticket": called.pk})
    visit = CounterVisit.objects.get(ticket=called)
    assert response["Location"] == reverse("counter:visit", args=[visit.public_id])
    assert f"{called.label} の方の受付を始める" not in client.get(reverse("counter:start")).content.decode()
    assert client.post(reverse("counter:start"), {"ticket": "999999"})["Location"] == reverse("counter:start")
    assert CounterVisit.objects.count() == 1
    assert timezone.localdate(visit.called_at) == timezone.localdate()
