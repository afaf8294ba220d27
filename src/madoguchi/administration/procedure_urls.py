"""Routes of the procedure overrides and fees pages (/staff/city/procedures/). Every route here
is walked by tests/security/test_procedure_admin_access.py: adding one without walking it fails
that test."""

from django.urls import path

from madoguchi.administration import procedure_views as views

urlpatterns = [
    path("", views.procedures, name="procedures"),
    path("<slug:code>/", views.procedure, name="procedure"),
    path("<slug:code>/withdraw/", views.withdraw, name="procedure_withdraw"),
    path("<slug:code>/reinstate/", views.reinstate, name="procedure_reinstate"),
    path("<slug:code>/reset/", views.reset, name="procedure_reset"),
]
