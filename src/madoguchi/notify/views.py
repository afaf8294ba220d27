"""The providers' status callbacks: one URL per channel (/notify/hooks/<channel>/), answered
by the channel's own reading of the request (its signature, its fields)."""

import logging

from anymail import urls as anymail_urls
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from madoguchi.notify import channels, services

log = logging.getLogger(__name__)

# anymail's tracking webhook views by ESP ("mailgun" → MailgunTrackingWebhookView, …).
TRACKING_VIEWS = {pattern.name.removesuffix("_tracking_webhook"): pattern.callback
                  for pattern in anymail_urls.urlpatterns if pattern.name.endswith("_tracking_webhook")}


@csrf_exempt  # the provider's request: proven by its signature, not a cookie
@require_POST
def status_hook(request, channel: str):
    if channel not in channels.registry:
        raise Http404
    sender = channels.channel_for(request.municipality, channel)
    if sender is None:
        raise Http404
    try:
        reports = sender.parse_status(request)
    except channels.WebhookRefused:
        return HttpResponse(status=403)
    for report in reports:
        services.record_status(request.municipality, channel, report)
    return HttpResponse(status=204)


@csrf_exempt  # the ESP's request: anymail checks its signature or basic auth
def email_tracking(request, esp: str):
    """The ESP's delivery events (anymail's view → anymail.signals.tracking → notify/bounces.py),
    served for the deployment's one ESP (MADOGUCHI_EMAIL_ESP) only. An ESP whose webhook keys
    are not set answers 404 and says so in the log, rather than a 500 to whoever calls."""
    view = TRACKING_VIEWS.get(esp)
    if view is None or esp != settings.MADOGUCHI_EMAIL_ESP:
        raise Http404
    try:
        return view(request)
    except ImproperlyConfigured as exc:
        log.error("e-mail tracking webhook for %s is not configured: %s", esp, exc)
        raise Http404 from exc
