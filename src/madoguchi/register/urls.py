from django.urls import path

from madoguchi.register import views

app_name = "register"
urlpatterns = [
    path("", views.search, name="search"),
    path("support/", views.support_list, name="support"),
    path("support/new/<int:resident_id>/", views.support_new, name="support_new"),
]
