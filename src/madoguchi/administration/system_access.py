"""Who the system administrator is: a Django superuser (is_superuser, active), logged in through
the staff login. Above the cities, not inside one: being superuser makes nobody a city's
administrator or staff (core/roles.py), and the /system/ pages show no resident's data."""

from functools import wraps

from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from madoguchi.core.actors import Actor, client_ip


def is_system_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def system_admin_required(view):
    """A /system/ page: the staff login first, then a superuser; anyone else gets 403 (a city
    administrator or a clerk of any city too). The view gets `request.actor` for the audit log."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('casework:login')}?{urlencode({'next': request.path})}")
        if not is_system_admin(request.user):
            return HttpResponseForbidden(_("システム管理者だけが使えるページです。"))
        request.actor = Actor.staff(request.user, client_ip(request))
        return view(request, *args, **kwargs)

    return wrapper
