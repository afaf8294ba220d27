"""The satisfaction survey (/survey/<token>/): no login, the signed link is the key."""

from django.urls import path

from madoguchi.feedback import views

app_name = "feedback"
urlpatterns = [
    path("<str:token>/", views.answer, name="answer"),
]
