"""Pages every resident may open, whatever the city's procedures: 表示の設定 (language,
文字サイズ, contrast) and the published accessibility policy and test results.

`city_logo` serves the city's logo for the pages' header.

The choices themselves are made by core.i18n.middleware from `?lang=`, `?text=`, `?contrast=`
on any address; the settings page only offers them as plain links and a GET form."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from madoguchi.core import accessibility, branding
from madoguchi.core.i18n import preferences


@require_safe
def display_settings(request):
    prefs = getattr(request, "preferences", None) or preferences.Preferences()
    return render(request, "core/display_settings.html", {
        "current": prefs,
        "text_sizes": preferences.TEXT_SIZES,
        "contrasts": preferences.CONTRASTS,
    })


@require_safe
def accessibility_policy(request):
    return render(request, "core/accessibility_policy.html", {
        "standard": accessibility.STANDARD,
        "target_level": accessibility.TARGET_LEVEL,
        "test_date": accessibility.TEST_DATE,
    })


@require_safe
def accessibility_results(request):
    return render(request, "core/accessibility_results.html", {
        "standard": accessibility.STANDARD,
        "target_level": accessibility.TARGET_LEVEL,
        "test_date": accessibility.TEST_DATE,
        "axe_version": accessibility.AXE_CORE_VERSION,
        "browser": accessibility.BROWSER,
        "criteria": accessibility.CRITERIA,
        "pages": accessibility.PAGES,
        **accessibility.summary(),
    })


LOGO_CACHE = "public, max-age=31536000, immutable"


@require_safe
def city_logo(request, digest: str):
    """The logo of the request's city. Its URL carries the image's digest, so it is cached for a
    year and a new logo is a new URL; another digest (an old logo, another city's) is a 404. The
    image was re-encoded as PNG when stored (branding.clean_logo), never served as the upload."""
    city = getattr(request, "municipality", None)
    logo = branding.logo_of(city) if city is not None else None
    if logo is None or logo.digest != digest:
        raise Http404("no such logo")
    response = HttpResponse(branding.logo_bytes(city), content_type=branding.LOGO_TYPE)
    response["Cache-Control"] = LOGO_CACHE
    response["Content-Disposition"] = "inline"
    return response
