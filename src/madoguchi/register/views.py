"""The staff look-up page: search the register with a mandatory reason (clerks only).

Searches are POSTed, so no name, birth date or number ever appears in a URL or an access log.
"""

from functools import wraps

from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from madoguchi.core.actors import Actor, client_ip
from madoguchi.core.models import Role
from madoguchi.core.roles import departments_of
from madoguchi.register import selectors
from madoguchi.register.models import Resident


def clerk_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('casework:login')}?next={request.path}")
        if not departments_of(request.user, request.municipality, Role.CLERK).exists():
            return HttpResponseForbidden(_("住民記録の照会は、この自治体の担当者だけができます。"))
        request.actor = Actor.staff(request.user, client_ip(request))
        return view(request, *args, **kwargs)

    return wrapper


def _search(request, data) -> tuple[list[Resident] | None, str, str]:
    """(results or None, heading, error) for the posted form."""
    reason, city, actor = data.get("reason", ""), request.municipality, request.actor
    if data.get("household"):
        resident = Resident.objects.filter(municipality=city, pk=data["household"]).first()
        if resident is None:
            return None, "", _("この住民は見つかりません。")
        return selectors.household_members(city, actor, reason, resident), _("世帯の構成"), ""
    if data.get("my_number"):
        found = selectors.find_by_my_number(city, actor, reason, data["my_number"])
        return ([found] if found else []), _("照会の結果"), ""
    if not data.get("kana"):
        return None, "", _("フリガナ（と生年月日）または個人番号を入力してください。")
    return selectors.find_by_kana(city, actor, reason, data["kana"], data.get("birth_date") or None), _("照会の結果"), ""


@clerk_required
def search(request):
    context = {"form": {}, "results": None}
    if request.method == "POST":
        data = {k: request.POST.get(k, "").strip()
                for k in ("reason", "kana", "birth_date", "my_number", "household")}
        context["form"] = {k: v for k, v in data.items() if k in ("reason", "kana", "birth_date")}
        try:
            context["results"], context["heading"], context["error"] = _search(request, data)
        except selectors.LookupRefused as exc:
            context["error"] = str(exc)
    return render(request, "register/search.html", context, status=400 if context.get("error") else 200)
