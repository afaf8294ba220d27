from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "madoguchi.identity"
    label = "identity"
    verbose_name = "Identity (JPKI, Digital Authentication App)"

    def ready(self):
        # Audit events for failed staff logins and django-axes lockouts.
        from axes.signals import user_locked_out

        from madoguchi.identity import bruteforce

        user_locked_out.connect(bruteforce.locked_out, dispatch_uid="madoguchi.identity.locked_out")

        from madoguchi.identity import session  # noqa: F401 - saves display preferences on the account
