"""Top-level routes: resident pages, staff pages, the API."""

from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_safe

from madoguchi.api import api


@require_safe
def favicon(request):
    """`/favicon.ico`: browsers and crawlers ask for it at the root whatever the page links.
    A redirect to the static file (under its hashed name where the manifest storage is on,
    served with a long cache) keeps one copy of the icon; the redirect itself is kept a day,
    so a new icon's name reaches browsers after a deployment."""
    response = HttpResponsePermanentRedirect(static("madoguchi/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("favicon.ico", favicon),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("madoguchi.administration.urls")),  # /staff/city/, /system/
    path("staff/register/", include("madoguchi.register.urls")),
    path("staff/counter/", include("madoguchi.counter.urls")),
    path("counter/tablet/", include("madoguchi.counter.tablet_urls")),  # the paired tablet, no login
    path("payments/", include("madoguchi.payments.urls")),
    path("staff/handoffs/", include("madoguchi.handoff.urls")),
    path("staff/insights/", include("madoguchi.insights.urls")),
    path("insights/", include("madoguchi.insights.public_urls")),  # the public dashboard
    path("opendata/", include("madoguchi.insights.open_urls")),
    path("survey/", include("madoguchi.feedback.urls")),
    path("staff/", include("madoguchi.casework.urls")),
    path("navi/", include("madoguchi.navigator.urls")),
    path("queue/", include("madoguchi.queueing.urls")),
    path("notify/", include("madoguchi.notify.urls")),  # providers' callbacks, the service worker
    path("", include("madoguchi.core.urls")),  # 表示の設定, アクセシビリティ方針, 試験結果
    path("", include("madoguchi.identity.urls")),
    path("", include("madoguchi.applications.urls")),
]
