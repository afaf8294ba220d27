"""The event stream (WSGI generator and the ASGI hub), the display, the congestion page and the
public JSON, and the kiosk in its three languages."""

import asyncio
import json

import pytest
from django.utils import translation
from queue_support import frames, issue, load_counters, purpose, run_in_own_loop, today_at

from madoguchi.queueing import events, texts
from madoguchi.queueing.models import QueueChange, VisitPurpose


@pytest.fixture
def worker_connections_closed(monkeypatch):
    """The hub's worker threads keep their connection for CONN_MAX_AGE, as request threads do;
    here they must close it after each query, or the test database cannot be dropped at the end."""
    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.fixture
def counters(city):
    load_counters(city)
    return city



def test_the_stream_sends_the_board_with_the_change_id(counters, client):
    issue(purpose(counters, "jumin", "tennyu"), "a")
    answer = client.get("/queue/display/events/?groups=jumin", **{"wsgi.multithread": True})
    assert answer["Content-Type"].startswith("text/event-stream") and answer["Cache-Control"] == "no-cache"
    stream = (chunk.decode() for chunk in answer.streaming_content)
    assert next(stream).startswith("retry: ")
    frame = next(stream)
    latest = QueueChange.objects.latest("id").id
    assert frame.startswith(f"id: {latest}\nevent: board\ndata: ")
    board = json.loads(frame.split("data: ", 1)[1])
    assert board["groups"][0]["waiting"] == 1
    answer.close()


def test_a_reconnect_with_the_latest_id_gets_nothing_old(counters, client, monkeypatch):
    issue(purpose(counters, "jumin", "tennyu"), "a")
    monkeypatch.setattr(events, "STREAM_SECONDS", 0.6)
    latest = QueueChange.objects.latest("id").id
    threaded = {"wsgi.multithread": True}
    answer = client.get("/queue/display/events/?groups=jumin", HTTP_LAST_EVENT_ID=str(latest), **threaded)
    assert frames([c.decode() for c in answer.streaming_content]) == []
    older = client.get("/queue/display/events/?groups=jumin", HTTP_LAST_EVENT_ID=str(latest - 1), **threaded)
    assert len(frames([c.decode() for c in older.streaming_content])) == 1


def test_single_threaded_workers_are_not_held(counters, client, monkeypatch):
    """gunicorn sync workers: the stream answers at once and asks the browser back in a second."""
    monkeypatch.setattr(events, "STREAM_SECONDS", 3600)  # would hang the test if it held
    issue(purpose(counters, "jumin", "tennyu"), "a")
    chunks = [c.decode() for c in client.get("/queue/display/events/?groups=jumin").streaming_content]
    assert chunks[0] == f"retry: {events.SHORT_RETRY_MS}\n\n" and len(frames(chunks)) == 1
    latest = QueueChange.objects.latest("id").id
    again = client.get("/queue/display/events/?groups=jumin", HTTP_LAST_EVENT_ID=str(latest))
    assert frames([c.decode() for c in again.streaming_content]) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker_connections_closed")
def test_the_hub_fans_one_change_out_to_every_client(counters):
    tennyu = purpose(counters, "jumin", "tennyu")
    key = ("board", counters.pk, (tennyu.group_id,))

    async def scenario():
        clients = [events.async_stream(key, None) for _ in range(3)]
        for stream in clients:
            assert (await anext(stream)).startswith("retry")
            first = await anext(stream)
            assert first.startswith("id: ")
        await events.run_db(issue)(tennyu, "live")  # closes its thread's connection after
        got = [await asyncio.wait_for(anext(stream), 5) for stream in clients]
        for stream in clients:
            await stream.aclose()
        return got

    got = run_in_own_loop(scenario())
    latest = QueueChange.objects.latest("id").id
    assert all(frame.startswith(f"id: {latest}\n") for frame in got)
    assert json.loads(got[0].split("data: ", 1)[1])["groups"][0]["waiting"] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker_connections_closed")
def test_under_asgi_the_view_streams_from_the_hub(counters):
    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    issue(purpose(counters, "jumin", "tennyu"), "a")

    async def first_two():
        answer = await AsyncClient().get("/queue/display/events/?groups=jumin")
        assert answer["Content-Type"].startswith("text/event-stream")
        chunks = aiter(answer.streaming_content)
        got = [(await anext(chunks)).decode(), (await asyncio.wait_for(anext(chunks), 5)).decode()]
        await answer.streaming_content.aclose()
        # As the ASGI handler does when a stream ends: request_finished closes, in the thread
        # that served the request, the connection it opened.
        await sync_to_async(answer.close)()
        return got

    retry, frame = run_in_own_loop(first_two())
    assert retry.startswith("retry: ")
    assert frame.startswith(f"id: {QueueChange.objects.latest('id').id}\nevent: board\n")


def test_the_display_and_its_polling_fallback(counters, client):
    issue(purpose(counters, "jumin", "tennyu"), "a")
    page = client.get("/queue/display/").content.decode()
    assert 'aria-live="assertive"' in page and 'http-equiv="refresh"' in page
    board = client.get("/queue/display/board.json?groups=jumin,shomei").json()
    assert [g["code"] for g in board["groups"]] == ["jumin", "shomei"] and board["event_id"] > 0
    assert client.get("/queue/display/board.json?groups=nothing").status_code == 404


def test_the_congestion_page_and_the_public_json(city, client):
    load_counters(city, history_weeks=1)
    page = client.get("/queue/?weekday=0").content.decode()
    assert 'id="congestion-now"' in page and 'id="pattern-table"' in page
    assert 'data-weekday="0" aria-current="page"' in page
    answer = client.get("/queue/api/status.json")
    assert answer["Access-Control-Allow-Origin"] == "*"
    data = answer.json()
    assert {g["code"] for g in data["groups"]} == {"jumin", "shomei", "kokuho", "kodomo", "kaigo"}
    monday = data["usual_pattern"]["月"]
    assert any(row["visitors"] for row in monday) and len(data["forecast"]) == 14
    assert {d["level"] for d in data["forecast"]} & {"busy", "normal", "quiet"}


def test_the_kiosk_speaks_every_site_language(counters, client):
    assert "転入届" in client.get("/queue/kiosk/?lang=ja").content.decode()
    english = client.get("/queue/kiosk/?lang=en").content.decode()
    assert '<html lang="en">' in english and "Moving in (from another city)" in english  # translations["en"]
    easy = client.get("/queue/kiosk/?lang=ja-easy").content.decode()
    assert '<html lang="ja">' in easy and "ほかの まち から ひっこして きた" in easy
    tennyu = VisitPurpose.objects.get(group__municipality=counters, code="tennyu")
    korean = client.get("/queue/kiosk/?lang=ko").content.decode()
    assert '<html lang="ko">' in korean and f'data-purpose="tennyu">{tennyu.translations["ko"]}</button>' in korean
    tennyu.translations.pop("ko")
    tennyu.save()
    korean = client.get("/queue/kiosk/?lang=ko").content.decode()
    # no Korean name: the Japanese name, marked lang="ja" on the button
    assert 'data-purpose="tennyu" lang="ja">転入届</button>' in korean


def test_the_printed_ticket_has_a_qr_for_the_phone(counters, client):
    ticket = issue(purpose(counters, "jumin", "tennyu"), "a", today_at(9))
    page = client.get(f"/queue/kiosk/ticket/{ticket.token}/").content.decode()
    assert "A-001" in page and "<svg" in page and f"/queue/t/{ticket.token}/" in page


def test_counters_are_set_up_in_the_admin(counters, client, staff):
    client.force_login(staff["admin"])
    listing = client.get("/admin/queueing/countergroup/").content.decode()
    assert "住民異動" in listing
    group = counters.counter_groups.get(code="jumin")
    page = client.get(f"/admin/queueing/countergroup/{group.pk}/change/").content.decode()
    assert "転入届" in page and 'name="windows-0-number"' in page


def test_the_phone_page_speaks_the_language_chosen_at_the_kiosk(counters, client):
    ticket = issue(purpose(counters, "jumin", "tennyu"), "a", today_at(9))
    kiosk_ticket = client.get(f"/queue/kiosk/ticket/{ticket.token}/?lang=en").content.decode()
    assert f"/queue/t/{ticket.token}/?lang=en" in kiosk_ticket
    page = client.get(f"/queue/t/{ticket.token}/?lang=en").content.decode()
    assert '<html lang="en">' in page and "A-001" in page and "Moving in / out" in page
    assert f'data-status-url="/queue/t/{ticket.token}/status.json?lang=en"' in page
    state = client.get(f"/queue/t/{ticket.token}/status.json?lang=ja-easy").json()
    assert state["status"] == "issued" and state["ahead"] == 0 and state["group"] == "ひっこし"
    with translation.override("ja-easy"):
        assert state["ahead_text"] == texts.people(0)
    japanese = client.get(f"/queue/t/{ticket.token}/status.json?lang=ja").json()
    assert japanese["status_text"] == "お待ちください" and japanese["group"] == "住民異動"
