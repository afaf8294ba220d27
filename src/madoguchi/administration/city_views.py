"""The city administrator's pages (/staff/city/): the city's departments, staff and roles,
counter groups, windows and visit purposes. Thin: parse, call administration.services, render.

Every page is `city_admin_required` (a CityAdministrator row for the city of this host). An id
of another city's row is not found (404). No page shows a resident's data: no cases, no
register, no tickets. An invalid form is shown again with each refusal next to its field
(status 400); a refused action says why at the top of the page it returns to.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from madoguchi.administration import rights, services
from madoguchi.administration.forms import (
    CounterGroupForm,
    DepartmentForm,
    ExceptionForm,
    NewStaffForm,
    PasswordForm,
    PurposeForm,
    RenewForm,
    RightsFilterForm,
    RoleForm,
    WindowForm,
)
from madoguchi.administration.services import CityAdminError
from madoguchi.core.models import Department
from madoguchi.core.roles import city_admin_required, is_city_admin, today
from madoguchi.queueing.models import CounterGroup

TEMPLATES = "administration/city/"


def _render(request, template: str, context: dict, status: int = 200):
    return render(request, TEMPLATES + template, context, status=status)


def _found(value):
    if value is None:
        raise Http404
    return value


@city_admin_required
def home(request):
    city = request.municipality
    return _render(request, "home.html", {
        "departments": services.departments(city).count(),
        "staff": services.staff_of(city).count(),
        "counter_groups": services.counter_groups(city).count(),
        "expiring": len(rights.expiring(city)),
    })


# --- departments ---------------------------------------------------------------------------


@city_admin_required
def departments(request):
    return _render(request, "departments.html", {"departments": services.departments(request.municipality)})


@city_admin_required
def department_add(request):
    return _department_form(request, Department(municipality=request.municipality))


@city_admin_required
def department(request, department_id: int):
    found = _found(services.department_of(request.municipality, department_id))
    return _department_form(request, found)


def _department_form(request, instance: Department):
    city = request.municipality
    is_new = instance.pk is None
    form = DepartmentForm(request.POST if request.method == "POST" else None, instance=instance,
                          municipality=city)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_department(city, request.actor, form)
        except CityAdminError as error:
            form.add_error("code", str(error))
        else:
            messages.success(request, _("担当課「%(name)s」を保存しました。") % {"name": saved.name})
            return redirect("administration:city_departments")
    context = {"form": form, "is_new": is_new, "department": instance}
    if not is_new:
        context["code_fixed"] = services.why_code_is_fixed(city, instance)
        context["not_deletable"] = services.why_not_deletable(city, instance)
    return _render(request, "department_form.html", context, status=400 if form.errors else 200)


@require_POST
@city_admin_required
def department_delete(request, department_id: int):
    found = _found(services.department_of(request.municipality, department_id))
    try:
        services.delete_department(request.municipality, request.actor, found)
    except CityAdminError as error:
        messages.error(request, str(error))
        return redirect("administration:city_department", department_id=department_id)
    messages.success(request, _("担当課「%(name)s」を削除しました。") % {"name": found.name})
    return redirect("administration:city_departments")


# --- staff ---------------------------------------------------------------------------------


@city_admin_required
def staff(request):
    return _render(request, "staff.html", {"rows": services.staff_rows(request.municipality),
                                           "today": today()})


@city_admin_required
def staff_add(request):
    city = request.municipality
    form = NewStaffForm(request.POST if request.method == "POST" else None, municipality=city)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.add_staff(city, request.actor, form)
        except CityAdminError as error:
            form.add_error("username", str(error))
        else:
            # Shown on this response only (never stored, never in a URL or a message).
            return _render(request, "staff_added.html", {"member": made.user, "password": made.password})
    return _render(request, "staff_form.html", {"form": form}, status=400 if form.errors else 200)


def _member(request, user_id: int):
    return _found(services.staff_member(request.municipality, user_id))


@city_admin_required
def staff_member(request, user_id: int):
    return _member_page(request, _member(request, user_id))


def _member_page(request, member, role_form=None, password_form=None, exception_form=None,
                 status: int = 200):
    city = request.municipality
    return _render(request, "staff_member.html", {
        "member": member, "roles": services.roles_of(city, member), "today": today(),
        "role_form": role_form or RoleForm(municipality=city),
        "exception_form": exception_form or ExceptionForm(municipality=city, initial={
            "valid_from": today().isoformat()}),
        "password_form": password_form or PasswordForm(user=member),
        "is_admin": is_city_admin(member, city), "is_shared": services.is_shared(city, member),
        "is_self": member.pk == request.user.pk,
    }, status=status)


@require_POST
@city_admin_required
def staff_role_give(request, user_id: int):
    member = _member(request, user_id)
    form = RoleForm(request.POST, municipality=request.municipality)
    if not form.is_valid():
        return _member_page(request, member, role_form=form, status=400)
    department, role = form.cleaned_data["department"], form.cleaned_data["role"]
    try:
        created = services.give_role(request.municipality, request.actor, member, department, role)
    except CityAdminError as error:
        form.add_error("role", str(error))
        return _member_page(request, member, role_form=form, status=400)
    if created:
        messages.success(request, _("役割を与えました。"))
    else:
        messages.info(request, _("この職員はすでにその役割を持っています。"))
    return redirect("administration:city_staff_member", user_id=member.pk)


@require_POST
@city_admin_required
def staff_role_exception(request, user_id: int):
    """A temporary role (例外) with its reason and a short period (administration/rights.py)."""
    member = _member(request, user_id)
    form = ExceptionForm(request.POST, municipality=request.municipality)
    if form.is_valid():
        data = form.cleaned_data
        try:
            rights.grant_exception(request.municipality, request.actor, member, data["department"],
                                   data["role"], data["valid_from"], data["valid_until"], data["note"])
        except CityAdminError as error:
            form.add_error("role", str(error))
        else:
            messages.success(request, _("期間を限った役割を与えました。"))
            return redirect("administration:city_staff_member", user_id=member.pk)
    return _member_page(request, member, exception_form=form, status=400)


@require_POST
@city_admin_required
def staff_role_remove(request, user_id: int, membership_id: int):
    member = _member(request, user_id)
    try:
        services.remove_role(request.municipality, request.actor, member, membership_id)
    except CityAdminError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("役割を外しました。"))
    return redirect("administration:city_staff_member", user_id=member.pk)


@require_POST
@city_admin_required
def staff_admin(request, user_id: int):
    """`seat=appoint` makes the member an administrator of this city; `seat=dismiss` undoes it."""
    member = _member(request, user_id)
    seat = request.POST.get("seat", "")
    try:
        if seat == "appoint":
            services.appoint_admin(request.municipality, request.actor, member)
            messages.success(request, _("この市の管理者に任命しました。"))
        elif seat == "dismiss":
            services.dismiss_admin(request.municipality, request.actor, member)
            messages.success(request, _("この市の管理者から外しました。"))
        else:
            messages.error(request, _("操作を選んでください。"))
    except CityAdminError as error:
        messages.error(request, str(error))
    return redirect("administration:city_staff_member", user_id=member.pk)


@require_POST
@city_admin_required
def staff_active(request, user_id: int):
    """`active=0` deactivates the account (no login, API tokens revoked); `active=1` restores it."""
    member = _member(request, user_id)
    active = request.POST.get("active", "")
    if active not in ("0", "1"):
        messages.error(request, _("操作を選んでください。"))
        return redirect("administration:city_staff_member", user_id=member.pk)
    try:
        services.set_active(request.municipality, request.actor, member, active == "1")
    except CityAdminError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("利用を再開しました。") if active == "1" else _("利用を停止しました。"))
    return redirect("administration:city_staff_member", user_id=member.pk)


@require_POST
@city_admin_required
def staff_password(request, user_id: int):
    """A new password, shown on this response only (never stored in clear, never in a URL)."""
    member = _member(request, user_id)
    form = PasswordForm(request.POST, user=member)
    if not form.is_valid():
        return _member_page(request, member, password_form=form, status=400)
    try:
        made = services.reset_password(request.municipality, request.actor, member,
                                       form.cleaned_data["password"])
    except CityAdminError as error:
        messages.error(request, str(error))
        return redirect("administration:city_staff_member", user_id=member.pk)
    return _render(request, "staff_password_done.html", {"member": member, "password": made})


# --- rights that expire ----------------------------------------------------------------------


@city_admin_required
def rights_expiring(request):
    """What ends within N days (30 unless asked) and what ended as recently, to renew."""
    return _rights_page(request, RenewForm(municipality=request.municipality))


def _rights_page(request, renew_form, status: int = 200):
    filters = RightsFilterForm(request.GET or None)
    days = rights.EXPIRING_DAYS
    if filters.is_bound:
        if filters.is_valid():
            days = filters.cleaned_data["days"] or days
        else:
            status = 400
    return _render(request, "rights.html", {
        "filters": filters, "days": days, "rows": rights.expiring(request.municipality, days),
        "renew_form": renew_form, "today": today(),
        "checked": renew_form.data.getlist("membership") if renew_form.is_bound else []}, status=status)


@require_POST
@city_admin_required
def rights_renew(request):
    """The chosen roles renewed to the next fiscal year's end, in one POST."""
    form = RenewForm(request.POST, municipality=request.municipality)
    if form.is_valid():
        try:
            renewed = rights.renew(request.municipality, request.actor, form.cleaned_data["membership"])
        except CityAdminError as error:
            form.add_error("membership", str(error))
        else:
            messages.success(request, ngettext("%(n)s件の役割を更新しました。", "%(n)s件の役割を更新しました。",
                                               len(renewed)) % {"n": len(renewed)})
            return redirect("administration:city_rights")
    return _rights_page(request, form, status=400)


# --- counter groups, windows, visit purposes --------------------------------------------------


@city_admin_required
def counters(request):
    return _render(request, "counters.html", {"groups": services.counter_groups(request.municipality)})


@city_admin_required
def counter_add(request):
    return _counter_form(request, CounterGroup(municipality=request.municipality))


@city_admin_required
def counter(request, group_id: int):
    return _counter_form(request, _found(services.counter_group_of(request.municipality, group_id)))


def _counter_form(request, instance: CounterGroup, window_form=None, status: int = 200):
    city = request.municipality
    is_new = instance.pk is None
    posted = request.method == "POST" and window_form is None
    form = CounterGroupForm(request.POST if posted else None, instance=instance, municipality=city)
    if posted and form.is_valid():
        try:
            saved = services.save_counter_group(city, request.actor, form)
        except CityAdminError as error:
            form.add_error("code", str(error))
        else:
            messages.success(request, _("窓口グループ「%(name)s」を保存しました。") % {"name": saved.name})
            return redirect("administration:city_counter", group_id=saved.pk)
    context = {"form": form, "is_new": is_new, "group": instance}
    if not is_new:
        context["windows"] = instance.windows.all()
        context["purposes"] = instance.purposes.all()
        context["window_form"] = window_form or WindowForm(group=instance)
    if form.errors:
        status = 400
    return _render(request, "counter_form.html", context, status=status)


@require_POST
@city_admin_required
def window_add(request, group_id: int):
    group = _found(services.counter_group_of(request.municipality, group_id))
    form = WindowForm(request.POST, group=group)
    if form.is_valid():
        try:
            services.add_window(request.municipality, request.actor, group, form.cleaned_data["number"])
        except CityAdminError as error:
            form.add_error("number", str(error))
        else:
            messages.success(request, _("窓口を追加しました。"))
            return redirect("administration:city_counter", group_id=group.pk)
    return _counter_form(request, group, window_form=form, status=400)


@require_POST
@city_admin_required
def window_remove(request, group_id: int, window_id: int):
    group = _found(services.counter_group_of(request.municipality, group_id))
    try:
        services.remove_window(request.municipality, request.actor, group, window_id)
    except CityAdminError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("窓口を削除しました。"))
    return redirect("administration:city_counter", group_id=group.pk)


@city_admin_required
def purpose(request, group_id: int, purpose_id: int):
    group = _found(services.counter_group_of(request.municipality, group_id))
    found = _found(services.purpose_of(group, purpose_id))
    form = PurposeForm(request.POST if request.method == "POST" else None, instance=found)
    if request.method == "POST" and form.is_valid():
        services.save_purpose(request.municipality, request.actor, form)
        messages.success(request, _("用件「%(name)s」を保存しました。") % {"name": form.instance.name})
        return redirect("administration:city_counter", group_id=group.pk)
    return _render(request, "purpose_form.html", {"form": form, "group": group, "purpose": found},
                   status=400 if form.errors else 200)
