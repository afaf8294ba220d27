from django.apps import AppConfig
from django.core import checks


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
        checks.register(check_protected_certificates, "applications")


def check_protected_certificates(app_configs=None, **kwargs) -> list:
    """MADOGUCHI_PROTECTED_CERTIFICATES (a city's 附票 procedure and the like,
    protection_holds.py) names only known keys with field ids."""
    from madoguchi.applications.protection_holds import setting_problems

    return [checks.Error(problem, id="madoguchi.E030", hint="see docs/casework.md, section 6 (requests held)")
            for problem in setting_problems()]
