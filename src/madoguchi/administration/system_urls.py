"""Routes of the system administrator's pages (/system/). Every route here is walked by
tests/security/test_system_admin_access.py: adding one without walking it fails that test."""

from django.urls import path

from madoguchi.administration import system_views as views

urlpatterns = [
    path("", views.home, name="system_home"),
    path("cities/new/", views.city_add, name="system_city_add"),
    path("cities/<int:city_id>/", views.city_settings, name="system_city"),
    path("cities/<int:city_id>/logo/", views.logo, name="system_logo"),
    path("cities/<int:city_id>/admins/", views.admin_appoint, name="system_admin_appoint"),
    path("cities/<int:city_id>/admins/<int:user_id>/remove/", views.admin_dismiss, name="system_admin_dismiss"),
    path("cities/<int:city_id>/payments/<slug:code>/", views.provider, name="system_provider"),
]
