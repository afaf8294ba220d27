from django.urls import path

from madoguchi.navigator import views

app_name = "navigator"
urlpatterns = [
    path("", views.event_list, name="events"),
    path("<slug:event>/start/", views.start, name="start"),
    path("p/<str:token>/", views.plan, name="plan"),
    path("p/<str:token>/q/<slug:question>/", views.change, name="change"),
    path("p/<str:token>/result/", views.result, name="result"),
    path("p/<str:token>/checklist.pdf", views.checklist, name="checklist"),
    path("p/<str:token>/copy/", views.copy, name="copy"),
]
