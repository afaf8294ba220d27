"""Routes of the city administrator's pages (/staff/city/). Every route here is walked by
tests/security/test_city_admin_access.py: adding one without walking it fails that test."""

from django.urls import path

from madoguchi.administration import city_views as views

urlpatterns = [
    path("", views.home, name="city_home"),
    path("departments/", views.departments, name="city_departments"),
    path("departments/new/", views.department_add, name="city_department_add"),
    path("departments/<int:department_id>/", views.department, name="city_department"),
    path("departments/<int:department_id>/delete/", views.department_delete, name="city_department_delete"),
    path("staff/", views.staff, name="city_staff"),
    path("staff/new/", views.staff_add, name="city_staff_add"),
    path("staff/<int:user_id>/", views.staff_member, name="city_staff_member"),
    path("staff/<int:user_id>/roles/", views.staff_role_give, name="city_staff_role_give"),
    path("staff/<int:user_id>/roles/exception/", views.staff_role_exception,
         name="city_staff_role_exception"),
    path("staff/<int:user_id>/roles/<int:membership_id>/remove/", views.staff_role_remove,
         name="city_staff_role_remove"),
    path("staff/<int:user_id>/admin/", views.staff_admin, name="city_staff_admin"),
    path("staff/<int:user_id>/active/", views.staff_active, name="city_staff_active"),
    path("staff/<int:user_id>/password/", views.staff_password, name="city_staff_password"),
    path("rights/", views.rights_expiring, name="city_rights"),
    path("rights/renew/", views.rights_renew, name="city_rights_renew"),
    path("counters/", views.counters, name="city_counters"),
    path("counters/new/", views.counter_add, name="city_counter_add"),
    path("counters/<int:group_id>/", views.counter, name="city_counter"),
    path("counters/<int:group_id>/windows/", views.window_add, name="city_window_add"),
    path("counters/<int:group_id>/windows/<int:window_id>/remove/", views.window_remove,
         name="city_window_remove"),
    path("counters/<int:group_id>/purposes/<int:purpose_id>/", views.purpose, name="city_purpose"),
]
