"""Pages every resident may open, whatever the city's procedures: 表示の設定 (language,
文字サイズ, contrast) and the published accessibility policy and test results.

The choices themselves are made by core.i18n.middleware from `?lang=`, `?text=`, `?contrast=`
on any address; the settings page only offers them as plain links and a GET form."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from madoguchi.core import accessibility
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
