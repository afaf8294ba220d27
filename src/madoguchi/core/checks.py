"""`madoguchi check --deploy` refuses the development keys that make `make run` work."""

from django.conf import settings
from django.core.checks import Error, Tags, register

DEV_SECRET = "dev-only-insecure-key-change-me"  # noqa: S105 - the value we refuse
DEV_ENCRYPTION_KEY = "bWFkb2d1Y2hpLWRldmVsb3BtZW50LWtleS0wMDAwMDA="


@register(Tags.security, deploy=True)
def development_keys(app_configs, **kwargs):
    errors = []
    if settings.SECRET_KEY == DEV_SECRET:
        errors.append(Error("MADOGUCHI_SECRET_KEY is the development key", id="madoguchi.E001"))
    if DEV_ENCRYPTION_KEY in settings.MADOGUCHI_ENCRYPTION_KEYS:
        errors.append(Error("MADOGUCHI_ENCRYPTION_KEYS holds the development key", id="madoguchi.E002",
                            hint="generate one with `madoguchi generate_key`"))
    return errors
