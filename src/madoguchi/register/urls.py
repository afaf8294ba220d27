from django.urls import path

from madoguchi.register import views

app_name = "register"
urlpatterns = [
    path("", views.search, name="search"),
]
