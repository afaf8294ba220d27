from django.urls import path

from madoguchi.handoff import views

app_name = "handoff"
urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:public_id>/resend/", views.resend, name="resend"),
]
