"""Staff pages of the hand-offs: the failed and waiting ones, with 「再送」. Thin: parse, call
services/selectors, render. Department staff see their departments' cases, a city administrator
the whole city's; a 再送 is audited (services.resend)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.core import audit
from madoguchi.core.roles import is_city_admin, is_staff_of, staff_page
from madoguchi.handoff import config, selectors, services
from madoguchi.handoff.models import State

handoff_staff_required = staff_page(
    lambda user, city: is_staff_of(user, city) or is_city_admin(user, city),
    lambda: _("この自治体の職員として登録されていません。"))


@handoff_staff_required
def index(request):
    state = request.GET.get("state", "open")
    if state not in selectors.FILTERS:
        state = "open"
    audit.record(request.municipality, request.actor, "view", "handoff_list", state)
    return render(request, "handoff/index.html", {
        "rows": selectors.listing(request.user, request.municipality, state),
        "state": state, "filters": selectors.FILTERS, "limit": selectors.LIST_LIMIT,
        "counts": selectors.counts(request.user, request.municipality),
        "problems": config.problems(request.municipality) if is_city_admin(request.user, request.municipality) else [],
    })


@require_POST
@handoff_staff_required
def resend(request, public_id):
    handoff = selectors.visible_to(request.user, request.municipality).filter(public_id=public_id).first()
    if handoff is None:
        raise Http404
    try:
        delivered = services.resend(handoff, request.actor)
    except services.ResendRefused as exc:
        messages.info(request, str(exc), extra_tags=f"refused-{exc.code}")
    else:
        handoff.refresh_from_db()
        if delivered:
            messages.success(request, _("再送し、連携先が受け取りました。"), extra_tags="resend-delivered")
        elif handoff.state == State.FAILED:
            messages.error(request, _("再送しましたが、連携先が受け付けませんでした。内容を確認してください。"),
                           extra_tags="resend-failed")
        else:
            messages.warning(request, _("再送しましたが、届きませんでした。自動で再試行します。"),
                             extra_tags="resend-retrying")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()) and target.startswith("/"):
        return redirect(target)
    return redirect("handoff:index")
