"""The URLconf of the prefecture portal's host (MunicipalityMiddleware sets it per request).

Only the portal's own page, 表示の設定 and the accessibility pages answer; every other path is
the portal's 404. The shared page layout (base.html) links to the city's catalogue and My Page by
name: on the portal those names lead to the portal's home, since choosing a city is the way to
both.
"""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_safe

from madoguchi.core import portal


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: the same icon as a city's site."""
    response = HttpResponsePermanentRedirect(static("madoguchi/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


layout_names = ([
    path("", portal.home, name="catalogue"),
    path("", portal.home, name="mypage"),
], "applications")

urlpatterns = [
    path("", include(([path("", portal.home, name="home")], "portal"))),
    path("", include(layout_names)),
    path("favicon.ico", favicon),
    path("", include("madoguchi.core.urls")),  # 表示の設定, アクセシビリティ方針, 試験結果
]

handler404 = portal.not_found
