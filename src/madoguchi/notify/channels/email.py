"""E-mail through Django's mail API: SMTP by default, or an ESP's HTTP API when the deployment
sets EMAIL_BACKEND to one of django-anymail's backends (whose status webhooks then report
bounces and complaints: notify/bounces.py)."""

import smtplib

from django.core.mail import EmailMessage
from django.utils.translation import gettext_lazy as _

from madoguchi.core import cities
from madoguchi.notify.channels import register
from madoguchi.notify.channels.base import (
    Channel,
    Outgoing,
    PermanentFailure,
    Sent,
    TemporaryFailure,
)


@register
class Email(Channel):
    code = "email"
    label = _("メール")
    needs_setting = False
    short = False  # a mail says what the notice is about: the address is the resident's own

    def send(self, message: Outgoing) -> Sent:
        mail = EmailMessage(subject=message.subject, body=message.body,
                            from_email=cities.sender(message.municipality), to=[message.address],
                            headers={"Message-ID": message.message_id})
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):  # 550 no such user: never
                raise PermanentFailure("unreachable", address_dead=True) from exc
            raise TemporaryFailure(type(exc).__name__) from exc
        except Exception as exc:  # noqa: BLE001 - a refused connection, a 4xx: tried again later
            raise TemporaryFailure(type(exc).__name__) from exc
        # anymail's backends say the ESP's id of the message; SMTP's is our Message-ID.
        status = getattr(mail, "anymail_status", None)
        return Sent(provider_ref=(getattr(status, "message_id", None) or message.message_id)[:128])
