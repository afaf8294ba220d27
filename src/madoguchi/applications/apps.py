from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "madoguchi.applications"
    label = "applications"
    verbose_name = "Applications"

    def ready(self):
        # The デジタル認証アプリ callback lives in identity (one redirect URI for login and
        # signing); signing a submission is ours, so we hand identity the finisher rather than
        # identity importing applications.
        from madoguchi.applications.views.digital_auth import finish_signing
        from madoguchi.identity import digital_auth

        digital_auth.register_signing_finisher(finish_signing)
