"""My Page's 「通知の受け取り方」: one section per channel the city offers (LINE, SMS, Web Push,
each drawn by its own include), the account's e-mail and whether mail reaches it, which channel
comes first, the opt-in to name the procedure in short messages, and the recent notices with
what became of each delivery. The pages that link a channel live beside this one (line.py,
phone.py, push.py); the choices themselves are notify's (notify/choices.py)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.identity.session import resident_required
from madoguchi.notify import channels, choices, labels, selectors, services

# The channel sections and their includes (the SMS section's part is the phone number's page).
SECTIONS = (("line", "identity/contacts/_line.html"), ("sms", "identity/contacts/_phone.html"),
            ("push", "identity/contacts/_push.html"))


def _sections(municipality, contacts) -> list[dict]:
    """The channels to show: those the city offers and has set up, and any other on which the
    resident still has a contact (so they can see it and remove it)."""
    offered = channels.offered(municipality)
    shown = []
    for code, template in SECTIONS:
        own = [c for c in contacts if c.channel == code]
        usable = code in offered and channels.channel_for(municipality, code) is not None
        if usable or own:
            shown.append({"code": code, "template": template, "contacts": own, "offered": usable,
                          "label": channels.label_of(code)})
    return shown


@resident_required
def hub(request):
    city, account = request.municipality, request.account
    contacts = selectors.contacts_of(city, account.ref)
    failing = services.email_failing(city, account.email)
    active = choices.active_channels(city, account.ref)
    return render(request, "identity/contacts/hub.html", {
        "account": account,
        "sections": _sections(city, contacts),
        "email_offered": "email" in channels.offered(city),
        "email_failing": failing,
        "email_failure_label": labels.failure_label(failing.disabled_reason) if failing else "",
        "active_channels": [{"code": code, "label": channels.label_of(code)} for code in active],
        "main_channel": active[0] if active else "",
        "short_contacts": [{"contact": c, "channel_label": channels.label_of(c.channel),
                            "name": c.label if c.label != str(channels.label_of(c.channel)) else ""} for c in contacts
                           if c.channel != "email" and c.disabled_at is None and c.verified_at is not None],
        "notices": selectors.notices(city, person=account.ref),
    })


@require_POST
@resident_required
def main_channel(request):
    try:
        choices.choose_main_channel(request.municipality, request.account.ref, request.POST.get("channel", ""))
    except choices.ChoiceRefused:
        messages.error(request, _("選んだ受け取り方は、いまは使えません。もう一度選んでください。"))
    else:
        messages.success(request, _("最初にお知らせする方法を変えました。"))
    return redirect("identity:contacts")


@require_POST
@resident_required
def detail(request):
    try:
        choices.show_detail(request.municipality, request.account.ref, request.POST.get("contact", ""),
                            request.POST.get("detail") == "1")
    except choices.ChoiceRefused:
        messages.error(request, _("この受け取り方は見つかりませんでした。画面を開きなおしてください。"))
    else:
        messages.success(request, _("お知らせの書き方を変えました。"))
    return redirect("identity:contacts")


@require_POST
@resident_required
def retry_email(request):
    if choices.retry_email(request.municipality, request.account.email):
        messages.success(request, _("次のお知らせから、またメールでお送りします。"))
    return redirect("identity:contacts")


urlpatterns = [
    path("", hub, name="contacts"),
    path("main/", main_channel, name="contacts_main"),
    path("detail/", detail, name="contacts_detail"),
    path("email/retry/", retry_email, name="contacts_email_retry"),
]
