"""The city administrator's pages (/staff/city/) and the system administrator's (/system/)."""

from django.urls import include, path

app_name = "administration"

urlpatterns = [
    path("staff/city/", include("madoguchi.administration.city_urls")),
    path("staff/city/procedures/", include("madoguchi.administration.procedure_urls")),
    path("system/", include("madoguchi.administration.system_urls")),
]
