from django.urls import path

from madoguchi.counter import views

app_name = "counter"
urlpatterns = [
    path("", views.start, name="start"),
    path("tablet/code/", views.tablet_code, name="tablet_code"),
    path("tablet/<int:tablet_id>/unpair/", views.tablet_unpair, name="tablet_unpair"),
    path("<uuid:visit_id>/", views.visit_page, name="visit"),
    path("<uuid:visit_id>/search/", views.search, name="search"),
    path("<uuid:visit_id>/state/", views.visit_state, name="visit_state"),
    path("<uuid:visit_id>/language/", views.visit_language, name="visit_language"),
    path("<uuid:visit_id>/tablet/", views.tablet, name="tablet"),
    path("<uuid:visit_id>/sign/", views.sign, name="sign"),
    path("<uuid:visit_id>/takeaway.pdf", views.takeaway_pdf, name="takeaway_pdf"),
    path("<uuid:visit_id>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("<uuid:visit_id>/forms/<int:form_id>.pdf", views.form_pdf, name="form_pdf"),
    path("<uuid:visit_id>/receipts/<uuid:attempt_id>.pdf", views.fee_receipt, name="fee_receipt"),
    path("<uuid:visit_id>/<slug:name>/", views.action, name="action"),
]
