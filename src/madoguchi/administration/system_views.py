"""The system administrator's pages (/system/): the cities of this deployment, a new city, a
city's settings and hosts, its administrators, its payment providers, and each provider's
`check_config()`. Thin: parse, call core.onboarding / system_services, render.

Every page is `system_admin_required` (a superuser). A city is named by its id in the path on
whatever host the page is opened: the system administrator is above the cities. No page
shows or links to a resident's data (cases, the register, tickets, payments of residents).
An invalid form is shown again with each refusal next to its field (status 400).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.administration import system_services as services
from madoguchi.administration.system_access import system_admin_required
from madoguchi.administration.system_forms import (
    AppointForm,
    LogoForm,
    NewCityForm,
    ProviderForm,
    SystemCityForm,
)
from madoguchi.core import cityconfig, onboarding
from madoguchi.core.models import Municipality
from madoguchi.core.pdf import seal
from madoguchi.payments.providers import registry

TEMPLATES = "administration/system/"


def _render(request, template: str, context: dict, status: int = 200):
    response = render(request, TEMPLATES + template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@system_admin_required
def home(request):
    cities = list(services.cities())
    for city in cities:
        city.test_code = cityconfig.is_test_code(city.code)
        city.all_hosts = [h for h in [city.hostname, *(x.hostname for x in city.hosts.all())] if h]
    return _render(request, "home.html", {"cities": cities})


@system_admin_required
def city_add(request):
    form = NewCityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            city = onboarding.create_city(form, request.actor)
            if form.cleaned_data.get("admin_username"):
                onboarding.appoint_admin(city, form.cleaned_data["admin_username"], request.actor)
        except onboarding.OnboardingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(city)s を作成しました。") % {"city": city.name})
            return redirect("administration:system_city", city.pk)
    status = 400 if form.errors else 200
    return _render(request, "city_new.html", {"form": form}, status=status)


@system_admin_required
def city_settings(request, city_id: int):
    city = get_object_or_404(Municipality, pk=city_id)
    form = SystemCityForm(request.POST or None, instance=city)
    if request.method == "POST" and form.is_valid():
        changed = onboarding.update_city(form, request.actor)
        if changed:
            messages.success(request, _("設定を保存しました。"))
        else:
            messages.info(request, _("変更はありませんでした。"))
        return redirect("administration:system_city", city.pk)
    if form.errors:
        city.refresh_from_db()  # the page's other parts show what is stored
    return _render(request, "city.html", {
        "city": city, "form": form, "test_code": cityconfig.is_test_code(city.code),
        "checks": [*services.checks(city), _seal_check(city)], "administrators": services.administrators(city),
        "appoint": AppointForm(), "providers": sorted(registry), "logo_form": LogoForm(),
    }, status=400 if form.errors else 200)


@require_POST
@system_admin_required
def logo(request, city_id: int):
    city = get_object_or_404(Municipality, pk=city_id)
    form = LogoForm(request.POST, request.FILES)
    if not form.is_valid():
        for message in form.errors.get("logo", []) + form.non_field_errors():
            messages.error(request, message)
    else:
        onboarding.set_logo(city, None if form.cleaned_data["remove"] else form.cleaned_data["logo"],
                            request.actor)
        messages.success(request, _("ロゴを保存しました。"))
    return redirect("administration:system_city", city.pk)


@require_POST
@system_admin_required
def admin_appoint(request, city_id: int):
    city = get_object_or_404(Municipality, pk=city_id)
    form = AppointForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("ユーザー名を入力してください。"))
    else:
        try:
            onboarding.appoint_admin(city, form.cleaned_data["username"], request.actor)
        except onboarding.OnboardingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("自治体管理者を任命しました。"))
    return redirect("administration:system_city", city.pk)


@require_POST
@system_admin_required
def admin_dismiss(request, city_id: int, user_id: int):
    city = get_object_or_404(Municipality, pk=city_id)
    if not onboarding.dismiss_admin(city, user_id, request.actor):
        raise Http404
    messages.success(request, _("自治体管理者の任命を解きました。"))
    return redirect("administration:system_city", city.pk)


@system_admin_required
def provider(request, city_id: int, code: str):
    city = get_object_or_404(Municipality, pk=city_id)
    if code not in registry:
        raise Http404
    setting = services.provider_setting(city, code)
    if request.method == "POST":
        form = ProviderForm(code, request.POST)
        if form.is_valid():
            services.save_provider(city, code, form.cleaned_data, request.actor)
            messages.success(request, _("設定を保存しました。"))
            return redirect("administration:system_provider", city.pk, code)
    else:
        form = ProviderForm(code, initial=ProviderForm.initial_of(setting))
    return _render(request, "provider.html", {
        "city": city, "code": code, "form": form,
        "secret_names": sorted(setting.secret_values) if setting else [],
        "problems": services.provider_problems(setting) if setting else [],
        "configured": setting is not None,
    }, status=400 if form.errors else 200)



def _seal_check(city: Municipality) -> services.Check:
    """The city's seal (電子公印) loaded without signing (core.pdf.seal.check): a missing or
    unsigned seal is a problem shown in the table, so no city goes live without noticing."""
    found = seal.check(city)
    return services.Check("seal", _("電子公印（決定通知書の署名）"), found.state, found.problems)
