from django.contrib.auth import views as auth_views
from django.urls import path

from madoguchi.casework import queue_views, review_views, views

app_name = "casework"
urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="casework:login"), name="logout"),
    path("", queue_views.queue, name="queue"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case"),
    path("cases/<uuid:public_id>/attachments/<uuid:attachment_id>/", views.attachment, name="attachment"),
    path("cases/<uuid:public_id>/my-number/", views.my_number, name="my_number"),
    path("cases/<uuid:public_id>/documents/<uuid:document_id>/", views.document, name="document"),
    path("cases/<uuid:public_id>/register-check/", review_views.register_check, name="register_check"),
    path("cases/<uuid:public_id>/<slug:action>/", views.case_action, name="action"),
]
