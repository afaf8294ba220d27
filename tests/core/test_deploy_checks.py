from django.core.checks import WARNING, run_checks

from madoguchi.core.crypto import generate_key


def _ids(settings):
    """Warnings and errors: the list of content shown in Japanese (madoguchi.I001) is information."""
    return {e.id for e in run_checks(include_deployment_checks=True)
            if e.id.startswith("madoguchi") and e.level >= WARNING}


def test_development_keys_are_refused_for_deployment(settings):
    assert {"madoguchi.E001", "madoguchi.E002"} <= _ids(settings)


def test_real_keys_pass(settings):
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    settings.MADOGUCHI_ENCRYPTION_KEYS = [generate_key()]
    assert _ids(settings) == set()
