from django.urls import path

from madoguchi.identity import views

app_name = "identity"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout, name="logout"),
]
