"""The staff look-up page: search the register with a mandatory reason (clerks only).

Searches are POSTed, so no name, birth date or number ever appears in a URL or an access log.
"""

from datetime import date

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from madoguchi.core.japanese import JapaneseInputError, parse_date
from madoguchi.core.models import Role, today_in_japan
from madoguchi.core.roles import departments_of, staff_page
from madoguchi.register import protection, selectors
from madoguchi.register.models import Resident, SupportMeasure


def _is_clerk(user, municipality) -> bool:
    return departments_of(user, municipality, Role.CLERK).exists()


clerk_required = staff_page(_is_clerk, lambda: _("住民記録の照会は、この自治体の担当者だけができます。"))


def _search(request, data) -> tuple[list[Resident] | None, str, str]:
    """(results or None, heading, error) for the posted form. A protected resident's address
    shows only after `reveal` (the 支援措置担当 role and a reason of its own)."""
    reason, city, actor = data.get("reason", ""), request.municipality, request.actor
    if data.get("reveal"):
        if not data["reveal"].isdigit():
            return None, "", _("この住民は見つかりません。")
        resident = protection.reveal(city, request.user, actor, int(data["reveal"]), data.get("reveal_reason", ""))
        resident.revealed = True
        return [resident], _("支援措置対象者の記録"), ""
    if data.get("household"):
        if not data["household"].isdigit():
            return None, "", _("この住民は見つかりません。")
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
    context = {"form": {}, "results": None, "may_reveal": protection.may_reveal(request.user, request.municipality),
               "masked": protection.MASKED, "protected_word": protection.PROTECTED}
    if request.method == "POST":
        data = {k: request.POST.get(k, "").strip()
                for k in ("reason", "kana", "birth_date", "my_number", "household", "reveal", "reveal_reason")}
        context["form"] = {k: v for k, v in data.items() if k in ("reason", "kana", "birth_date")}
        try:
            context["results"], context["heading"], context["error"] = _search(request, data)
        except (selectors.LookupRefused, protection.ProtectionRefused) as exc:
            context["error"] = str(exc)
    return render(request, "register/search.html", context, status=400 if context.get("error") else 200)


# The 支援措置担当 role in force in a department of the city (register.protection reads it).
support_required = staff_page(protection.may_reveal,
                              lambda: _("支援措置の登録と解除は、支援措置担当の職員だけができます。"))


def _day(text: str, label: str):
    """A date typed by staff (西暦, 和暦 or the 7-digit 元号 code), or None when left empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except JapaneseInputError as exc:
        raise protection.ProtectionRefused(f"{label}: {exc}") from None


@support_required
def support_list(request):
    """The marks in force and those ended in the last year, with 延長 and 解除 for each."""
    city, error = request.municipality, ""
    if request.method == "POST":
        measure = SupportMeasure.objects.filter(municipality=city, pk=request.POST.get("measure", "0")
                                                if request.POST.get("measure", "").isdigit() else 0).first()
        try:
            if measure is None:
                raise protection.ProtectionRefused(_("この支援措置は見つかりません。"))
            if request.POST.get("action") == "lift":
                protection.lift(measure, request.actor, request.POST.get("lift_reason", ""))
            else:
                ends_on = _day(request.POST.get("ends_on", ""), _("終了日"))
                if ends_on is None:
                    raise protection.ProtectionRefused(_("延長後の終了日を入力してください。"))
                protection.extend(measure, request.actor, ends_on)
            return redirect("register:support")
        except protection.ProtectionRefused as exc:
            error = str(exc)
    today = today_in_japan()
    since = date.fromordinal(today.toordinal() - protection.DEFAULT_DAYS)
    measures = (SupportMeasure.objects.filter(municipality=city, ends_on__gte=since)
                .select_related("resident").order_by("ends_on", "pk"))
    rows = [{"m": m, "in_force": m.starts_on <= today <= m.ends_on and (m.lifted_on is None or m.lifted_on > today)}
            for m in measures]
    return render(request, "register/support_list.html", {"rows": rows, "error": error},
                  status=400 if error else 200)


@support_required
def support_new(request, resident_id: int):
    """Register a 支援措置 for a resident found on the look-up page."""
    resident = get_object_or_404(Resident, municipality=request.municipality, pk=resident_id)
    form, error = {}, ""
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in
                ("starts_on", "ends_on", "reference", "household", "against_name", "against_kana",
                 "against_birth_date")}
        try:
            against_born = _day(form["against_birth_date"], _("加害者等の生年月日"))
            protection.mark(
                request.municipality, request.actor, resident,
                starts_on=_day(form["starts_on"], _("開始日")), ends_on=_day(form["ends_on"], _("終了日")),
                reference=form["reference"], household=form["household"] == "on",
                against={"name": form["against_name"], "kana": form["against_kana"],
                         "birth_date": against_born.isoformat() if against_born else ""})
            return redirect("register:support")
        except protection.ProtectionRefused as exc:
            error = str(exc)
    return render(request, "register/support_new.html", {"resident": resident, "form": form, "error": error},
                  status=400 if error else 200)
