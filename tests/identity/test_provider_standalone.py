"""`make run` starts the local デジタル認証アプリ provider as `python -m …testing_provider`, without
Django settings: the client modules it loads must import without them."""

import os
import subprocess
import sys


def test_the_local_provider_starts_without_django_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-m", "madoguchi.identity.oidc.testing_provider", "--host", "127.0.0.1",
         "--port", "8799", "--redirect-uri", "http://127.0.0.1:8000/login/digital-auth/callback/",
         "--client-keys", str(tmp_path / "keys"), "--settings-only"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "MADOGUCHI_DIGITAL_AUTH_ISSUER=http://127.0.0.1:8799" in done.stdout
