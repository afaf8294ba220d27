"""Appointing a city administrator in one call, for tests and scripted demos (`load_demo` makes
the demo cities' own: `city-admin`, `town-admin`).

A city administrator made here has no department role: they manage the city, they do not work
its cases (the access walk checks that they see none)."""

from django.contrib.auth import get_user_model

from madoguchi.core.models import CityAdministrator, Municipality


def load_city_admin(city: Municipality, username: str = "city-admin", password: str = "",
                    last_name: str = "") -> object:
    """Create or update `username` as an administrator of `city`; safe to run twice. Without a
    password the account keeps the one it has (none for a new one: set it in the admin)."""
    user, _ = get_user_model().objects.get_or_create(username=username,
                                                      defaults={"last_name": last_name})
    if password:
        user.set_password(password)
        user.save()
    CityAdministrator.objects.get_or_create(user=user, municipality=city)
    return user
