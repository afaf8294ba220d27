"""The login pages in the resident's language, and the login code mailed in the language of the
page it was asked from (the address has no account yet, so there is nothing else to follow)."""

import pytest
from django.urls import reverse
from django.utils import translation

from madoguchi.notify import services as notify
from madoguchi.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lang, html_lang", [("ko", "ko"), ("zh-hans", "zh-Hans"), ("ja-easy", "ja")])
def test_the_login_page_speaks_the_chosen_language(client, city, lang, html_lang):
    html = client.get(reverse("identity:login"), {"lang": lang}).content.decode()
    assert f'<html lang="{html_lang}"' in html
    for element in ('id="card-login"', 'id="way-email"', 'id="email"', 'id="send-code"'):
        assert element in html
    assert 'id="email" name="email" type="email" autocomplete="email" value="" translate="no"' in html


def test_the_login_code_mail_follows_the_page_it_was_asked_from(client, city, monkeypatch):
    seen = []
    real = notify.render_to_string

    def spy(name, context=None, *args, **kwargs):
        seen.append((name, translation.get_language()))
        return real(name, context, *args, **kwargs)

    monkeypatch.setattr(notify, "render_to_string", spy)
    client.get(reverse("identity:login"), {"lang": "vi"})  # the choice is kept in the session
    response = client.post(reverse("identity:login"), {"email": "new.resident@example.jp"})
    assert response.status_code == 302
    assert seen == [("notify/login_code.txt", "vi")]
    assert OutboxMessage.objects.filter(dedupe_key__startswith="login-code:").count() == 1
