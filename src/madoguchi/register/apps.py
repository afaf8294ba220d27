from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "madoguchi.register"
    label = "register"
    verbose_name = _("住民記録")

    def ready(self):
        # 支援措置: a protected resident's address must not reach anyone else in a message or a
        # PDF. The outbox and the PDF layouts are below the register and cannot ask it who is
        # protected, so the register hands them its redactor (core.redaction).
        from madoguchi.core import redaction
        from madoguchi.register.redaction import protected_addresses

        redaction.register_redactor(protected_addresses)
