"""Logins under attack, over real HTTP: what a guesser and a code requester get.

    .venv/bin/python bench/login_limits.py

gunicorn (2 workers) on a fresh SQLite database with the demo city, the outbox in worker mode
(no worker runs: the queued mails are counted, none is sent). From one client address:

1. 100 wrong staff passwords in a row at /staff/login/ (CSRF token and cookie as a browser
   sends them), then the right one: how many were answered with the form, how many with the
   lockout page (429), and whether the right password got in.
2. 12 requests for a code for one address (a stranger), 5 wrong codes (voiding it), then the
   owner's request: answers, and mails queued for that address.
3. 60 requests for codes for 60 addresses as fast as one client sends them: answers and mails
   queued, and the time it took.

The limit counters (database cache) are cleared between parts, so each part starts from zero.
Prints the figures; writes nothing.
"""

import http.cookiejar
import json
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_common import Gunicorn, base_env, django_setup, log, madoguchi  # noqa: E402

PASSWORD = "demo-pass-2026"  # noqa: S105 - load_demo's published demo password
VICTIM = "victim@example.jp"


class Browser:
    """Cookies and CSRF as a browser keeps them."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect())

    def send(self, method: str, path: str, data: bytes | None = None, headers=None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=data, method=method,  # noqa: S310
                                         headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def login(self, username: str, password: str) -> int:
        _, page = self.send("GET", "/staff/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                       "password": password}).encode()
        status, _ = self.send("POST", "/staff/login/", form,
                              {"Content-Type": "application/x-www-form-urlencoded",
                               "Referer": self.base + "/staff/login/"})
        return status

    def api(self, path: str, body: dict) -> int:
        return self.send("POST", path, json.dumps(body).encode(),
                         {"Content-Type": "application/json"})[0]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def clear_limits() -> None:
    from django.core.cache import caches

    caches["ratelimit"].clear()


def mails_to(address: str) -> int:
    from madoguchi.identity.models import LoginCode

    return LoginCode.objects.filter(email=address).count()  # one queued mail per code


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        env = base_env(f"sqlite:///{var / 'bench.sqlite3'}", var, MADOGUCHI_OUTBOX_MODE="worker")
        madoguchi(env, "migrate", "--noinput", "-v0")
        madoguchi(env, "load_demo")
        django_setup(env)
        server = Gunicorn(env, workers=2, logfile=var / "gunicorn.log")
        try:
            browser = Browser(server.port)
            answers = Counter(browser.login("shimin-tanto", "wrong-password") for _ in range(100))
            right = browser.login("shimin-tanto", PASSWORD)
            log(f"1. 100 wrong staff passwords: {dict(answers)}; then the right one: {right}"
                f" ({'refused' if right == 429 else 'logged in' if right == 302 else 'other'})")

            clear_limits()
            stranger = [browser.api("/api/auth/email-code", {"email": VICTIM}) for _ in range(12)]
            guesses = [browser.api("/api/auth/token", {"email": VICTIM, "code": f"00000{n}"})
                       for n in range(5)]
            queued = mails_to(VICTIM)
            owner = browser.api("/api/auth/email-code", {"email": VICTIM})
            log(f"2. 12 requests for {VICTIM}: {dict(Counter(stranger))}, mails queued {queued}; "
                f"5 wrong codes: {dict(Counter(guesses))}; the owner's request then: {owner}, "
                f"mails queued {mails_to(VICTIM)}")

            clear_limits()
            start = time.perf_counter()
            many = [browser.api("/api/auth/email-code", {"email": f"user{n}@example.jp"})
                    for n in range(60)]
            took = time.perf_counter() - start
            queued = sum(mails_to(f"user{n}@example.jp") for n in range(60))
            log(f"3. 60 addresses from one client in {took:.2f} s: {dict(Counter(many))}, "
                f"mails queued {queued}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
