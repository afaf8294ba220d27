"""Web Push from My Page: this browser subscribes (the page's script, static/madoguchi/push.js,
POSTs the subscription) and any subscribed device can be removed.

- push/ : POST {subscription} from the script → JSON ({"next": …} or 400 with the reason);
  the form exists only where the browser can take push messages, so no page answers it.
- push/<pk>/remove/ : POST, a plain form.
"""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.identity.session import resident_required
from madoguchi.notify import push_subscriptions, services
from madoguchi.notify.models import Contact


@require_POST
@resident_required
def add(request):
    try:
        push_subscriptions.subscribe(request.municipality, request.account.ref, request.POST.get("subscription", ""),
                                     request.headers.get("User-Agent", ""))
    except push_subscriptions.InvalidSubscription as error:
        return JsonResponse({"field": "subscription", "reason": str(error),
                             "message": _("この端末ではプッシュ通知を設定できませんでした。")}, status=400)
    messages.success(request, _("この端末でプッシュ通知を受け取ります。"))
    return JsonResponse({"ok": True, "next": reverse("identity:contacts")})


@require_POST
@resident_required
def remove(request, pk: int):
    contact = Contact.objects.filter(municipality=request.municipality, person=request.account.ref,
                                     channel="push", pk=pk).first()
    if contact is None:
        raise Http404
    services.remove_contact(contact)
    messages.success(request, _("この端末へのプッシュ通知をやめました。"))
    return redirect("identity:contacts")


urlpatterns = [
    path("push/", add, name="contacts_push_add"),
    path("push/<int:pk>/remove/", remove, name="contacts_push_remove"),
]
