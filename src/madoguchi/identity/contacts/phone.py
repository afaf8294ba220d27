"""A mobile number for SMS, from My Page: typed, proven with a code sent to it, removed at any time.

- phone/ : the number's form (the hub shows the same form; a refused number comes back here,
  with its message next to the field and what was typed kept);
- phone/verify/ : the code sent by SMS is typed; a new code can be asked for;
- phone/<pk>/remove/ : POST.
The number travels only in POST bodies (never in a URL), and is logged nowhere. The rules are
notify's (notify/sms_verification.py, notify/phone.py).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.core.japanese import JapaneseInputError
from madoguchi.identity.session import resident_required
from madoguchi.notify import channels, selectors, sms_verification

HUB = "identity:contacts"


def _offered(request) -> None:
    if channels.channel_for(request.municipality, "sms") is None:
        raise Http404


def _numbers(request) -> list:
    return [c for c in selectors.contacts_of(request.municipality, request.account.ref) if c.channel == "sms"]


@resident_required
def add(request):
    _offered(request)
    typed, error, status = "", "", 200
    if request.method == "POST":
        typed = request.POST.get("number", "")[:40]
        try:
            sms_verification.send_code(request.municipality, request.account.ref, typed)
        except (JapaneseInputError, sms_verification.VerificationRefused) as exc:
            error, status = str(exc), 400
        else:
            return redirect("identity:phone_verify")
    return render(request, "identity/contacts/phone_add.html", {
        "number": typed, "error": error, "contacts": _numbers(request), "offered": True}, status=status)


@resident_required
def verify(request):
    _offered(request)
    city, person = request.municipality, request.account.ref
    error, status = "", 200
    if request.method == "POST":
        try:
            contact = sms_verification.verify(city, person, request.POST.get("code", ""))
        except sms_verification.VerificationRefused as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, _("携帯電話の番号（%(label)s）を登録しました。お知らせをSMSでお届けします。")
                             % {"label": contact.label})
            return redirect(reverse(HUB) + "#contacts-sms")
    label = sms_verification.pending_label(city, person)
    if not label and request.method == "GET":
        return redirect("identity:phone_add")
    return render(request, "identity/contacts/phone_verify.html", {
        "label": label, "error": error, "minutes": sms_verification.CODE_MINUTES}, status=status)


@require_POST
@resident_required
def resend(request):
    _offered(request)
    try:
        sms_verification.resend(request.municipality, request.account.ref)
    except sms_verification.VerificationRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("新しい確認コードをSMSで送りました。"))
    return redirect("identity:phone_verify")


@require_POST
@resident_required
def remove(request, pk: int):
    if sms_verification.remove(request.municipality, request.account.ref, pk):
        messages.success(request, _("携帯電話の番号を削除しました。SMSではお知らせしません。"))
    return redirect(reverse(HUB) + "#contacts-sms")


urlpatterns = [
    path("phone/", add, name="phone_add"),
    path("phone/verify/", verify, name="phone_verify"),
    path("phone/resend/", resend, name="phone_resend"),
    path("phone/<int:pk>/remove/", remove, name="phone_remove"),
]
