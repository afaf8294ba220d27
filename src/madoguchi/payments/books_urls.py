"""Routes of the 会計課 pages and the resident's 領収書, added to the payments namespace."""

from django.urls import path

from madoguchi.payments import books_views as views

urlpatterns = [
    path("<uuid:public_id>/receipt/", views.resident_receipt, name="receipt"),
    path("books/", views.home, name="books"),
    path("books/open/", views.open_items, name="books_open"),
    path("books/<str:day>/<slug:provider>.csv", views.daily_csv, name="books_csv"),
    path("books/payments/<uuid:attempt_id>/", views.payment, name="books_payment"),
    path("books/payments/<uuid:attempt_id>/receipt/", views.staff_receipt, name="books_receipt"),
    path("books/payments/<uuid:attempt_id>/refund/", views.refund, name="books_refund"),
    path("books/payments/<uuid:attempt_id>/review/", views.review, name="books_review"),
    path("books/refunds/<uuid:refund_id>/approve/", views.approve, name="books_refund_approve"),
]
