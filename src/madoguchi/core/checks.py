"""`madoguchi check --deploy` refuses the development keys that make `make run` work, and a
deployment without the Content-Security-Policy or with cookies sent over plain http.

Django's own deploy checks already cover HSTS (security.W004) and the cookie flags
(security.W012/W016); these name the Madoguchi setting to change."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

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


@register(Tags.security)
def key_encryption_keys(app_configs, **kwargs):
    """The keys that wrap the cities' data keys (core/keywrap.py) are usable: the deployment's
    MADOGUCHI_ENCRYPTION_KEYS, and the wrapper new keys use (MADOGUCHI_KEY_WRAPPER)."""
    from madoguchi.core import keywrap

    errors = [Error(problem, id="madoguchi.E020",
                    hint="MADOGUCHI_ENCRYPTION_KEYS: comma-separated keys from `madoguchi generate_key`")
              for problem in keywrap.registry["settings"].check_config()]
    try:
        default = keywrap.wrapper(keywrap.default_code())
    except ImportError as exc:
        return [*errors, Error(f"a module of MADOGUCHI_KEY_WRAPPER_MODULES cannot be imported: {exc}",
                               id="madoguchi.E021")]
    except keywrap.UnknownWrapper:
        return [*errors, Error(f"MADOGUCHI_KEY_WRAPPER names no key wrapper: {keywrap.default_code()!r}",
                               id="madoguchi.E021", hint="one of: " + ", ".join(keywrap.codes()))]
    if default.code != "settings":
        errors += [Error(problem, id="madoguchi.E021", hint="see docs/operations.md, keys")
                   for problem in default.check_config()]
    return errors


@register(Tags.database, Tags.security)
def city_keys(app_configs, databases=None, **kwargs):
    """Every city's data keys unwrap: a KEK file missing or withheld, a KEK dropped from
    MADOGUCHI_ENCRYPTION_KEYS before `rotate_keys --rewrap`, a KMS not reachable. A database
    check: run by `madoguchi check --database default`."""
    from django.db import DatabaseError

    from madoguchi.core import keyring
    from madoguchi.core.models import Municipality

    if not databases:
        return []
    try:
        problems = [problem for municipality in Municipality.objects.order_by("slug").only("pk", "slug")
                    for problem in keyring.check_city(municipality)]
    except DatabaseError:  # no database yet (a fresh checkout): nothing to check
        return []
    return [Error(problem, id="madoguchi.E022", hint="restore the key-encryption key (docs/operations.md, keys)")
            for problem in problems]


@register(Tags.security, deploy=True)
def security_headers(app_configs, **kwargs):
    errors = []
    directives = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES", {})
    script = directives.get("script-src") or directives.get("default-src") or []
    if (not directives or "'unsafe-inline'" in script
            or "madoguchi.core.security.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE):
        errors.append(Error("the Content-Security-Policy is off or allows inline script",
                            id="madoguchi.E003", hint="run with MADOGUCHI_DEBUG off"))
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        errors.append(Warning("cookies are sent over plain http", id="madoguchi.W001",
                              hint="serve over https and leave MADOGUCHI_SECURE_COOKIES on"))
    return errors


@register("i18n")
def untranslated_content(app_configs, **kwargs):
    """Lists, per language, the content shown in Japanese for want of a translation."""
    from django.core.checks import Info

    from madoguchi.core import i18n
    from madoguchi.core.i18n import content

    notes = []
    for source in content.sources():
        for language in i18n.codes():
            if language == i18n.DEFAULT:
                continue
            gaps = content.missing(source, language)
            if gaps:
                message, hint = content.describe(source, language, gaps)
                notes.append(Info(message, hint=hint, id="madoguchi.I001"))
    return notes


@register(Tags.database, "i18n")
def untranslated_departments(app_configs, databases=None, **kwargs):
    """Lists the departments whose name or counter residents read in Japanese for want of a
    translation (`Department.translations`, edited in the admin). A database check: run by
    `madoguchi check --database default`."""
    from django.core.checks import Info
    from django.db import DatabaseError

    from madoguchi.core import i18n
    from madoguchi.core.models import Department

    if not databases:
        return []
    try:
        departments = list(Department.objects.select_related("municipality"))
    except DatabaseError:  # no database yet (a fresh checkout): nothing to list
        return []
    notes = []
    for language in i18n.codes():
        if language == i18n.DEFAULT:
            continue
        missing = [d for d in departments
                   if any(getattr(d, f) and not ((d.translations or {}).get(language) or {}).get(f)
                          for f in ("name", "counter"))]
        if missing:
            notes.append(Info(
                f"departments: {len(missing)} are shown in Japanese in {language} for want of a translation",
                hint="add them in the admin (translations): "
                     + ", ".join(sorted(f"{d.municipality.slug}/{d.code}" for d in missing)[:20]),
                id="madoguchi.I002"))
    return notes


@register(deploy=True)
def pdf_fonts(app_configs, **kwargs):
    """A receipt in Korean, Chinese or Vietnamese needs fonts IPAexGothic lacks (`make pdf-fonts`)."""
    from madoguchi.core.pdf.fonts import missing_fonts

    missing = missing_fonts()
    if not missing:
        return []
    return [Warning("fonts for PDFs in other languages are not installed: " + ", ".join(missing),
                    id="madoguchi.W002",
                    hint="install Debian's fonts-noto-core, fonts-nanum and fonts-wqy-microhei (make pdf-fonts)")]
