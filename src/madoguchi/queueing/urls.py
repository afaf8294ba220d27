from django.urls import path

from madoguchi.queueing.views import booking, kiosk, public, staff

app_name = "queueing"
urlpatterns = [
    path("", public.congestion, name="congestion"),
    path("api/status.json", public.api_status, name="api_status"),
    path("kiosk/", kiosk.kiosk, name="kiosk"),
    path("kiosk/issue/", kiosk.issue, name="issue"),
    path("kiosk/check-in/", kiosk.check_in, name="check_in"),
    path("kiosk/ticket/<str:token>/", kiosk.kiosk_ticket, name="kiosk_ticket"),
    path("t/<str:token>/", public.status, name="status"),
    path("t/<str:token>/status.json", public.status_json, name="status_json"),
    path("t/<str:token>/events/", public.ticket_events, name="ticket_events"),
    path("t/<str:token>/notice/", public.ask_notice, name="ask_notice"),
    path("t/<str:token>/push/", public.ask_push_notice, name="ask_push_notice"),
    path("display/", public.display, name="display"),
    path("display/board.json", public.board, name="board"),
    path("display/events/", public.event_stream, name="events"),
    path("reserve/", booking.choose, name="reserve"),
    path("reserve/<int:purpose_id>/", booking.slots, name="reserve_slots"),
    path("reserve/<int:purpose_id>/book/", booking.book, name="book"),
    path("r/<str:token>/", booking.detail, name="reservation"),
    path("r/<str:token>/change/", booking.change, name="reservation_change"),
    path("r/<str:token>/cancel/", booking.cancel, name="reservation_cancel"),
    path("staff/", staff.windows, name="windows"),
    path("staff/figures/", staff.figures, name="figures"),
    path("staff/windows/<int:window_id>/", staff.window_page, name="window"),
    path("staff/windows/<int:window_id>/<slug:action>/", staff.window_action, name="window_action"),
]
