from django.urls import path

from madoguchi.payments import views

app_name = "payments"
urlpatterns = [
    path("<uuid:public_id>/", views.pay, name="pay"),
    path("attempts/<uuid:attempt_id>/return/", views.attempt_return, name="return"),
    path("attempts/<uuid:attempt_id>/cancel/", views.attempt_cancel, name="cancel"),
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
]

# 会計課 pages and the resident's 領収書 (payments/books_urls.py)
from madoguchi.payments.books_urls import urlpatterns as books_urlpatterns  # noqa: E402

urlpatterns += books_urlpatterns
