"""Who the system administrator is: a Django superuser (is_superuser, active), logged in through
the staff login. Above the cities, not inside one: being superuser makes nobody a city's
administrator or staff (core/roles.py), and the /system/ pages show no resident's data."""

from django.utils.translation import gettext as _

from madoguchi.core.roles import staff_page


def is_system_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


# A /system/ page: the staff login first, then a superuser; anyone else gets 403 (a city
# administrator or a clerk of any city too). The view gets `request.actor` for the audit log.
system_admin_required = staff_page(lambda user, city: is_system_admin(user),
                                   lambda: _("システム管理者だけが使えるページです。"))
