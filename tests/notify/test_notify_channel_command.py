"""`madoguchi channel`: a city's IT lists, sets and checks its channels; secrets go in
encrypted and are never printed; `check` exits 1 when an enabled channel is not ready."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from madoguchi.core.models import AuditEvent
from madoguchi.notify.models import ChannelSetting

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-not-to-be-printed"


def _run(*args) -> str:
    out = io.StringIO()
    call_command("channel", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def offered(city):
    city.channels = []
    city.save(update_fields=["channels"])
    return city


def test_set_stores_config_and_encrypted_secrets_and_never_prints_them(offered):
    out = _run("set", "demo", "sms", "--config", "from=+815012345678", "--config", "hourly_limit_per_number=5",
               "--secret", f"account_sid={SID}", "--secret", f"auth_token={TOKEN}", "--enable")
    assert TOKEN not in out and SID not in out
    setting = ChannelSetting.objects.get(municipality=offered, channel="sms")
    assert setting.enabled and setting.config == {"from": "+815012345678", "hourly_limit_per_number": 5}
    assert setting.secret_values == {"account_sid": SID, "auth_token": TOKEN}
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM notify_channelsetting WHERE id = %s", [setting.pk])
        raw = bytes(cursor.fetchone()[0])
    assert TOKEN.encode() not in raw  # encrypted at rest
    listing = _run("list", "--city", "demo")
    assert "sms: ready" in listing and "from=+815012345678" in listing
    assert "auth_token" in listing and TOKEN not in listing
    event = AuditEvent.objects.filter(target_type="channel_setting", target_id="sms").latest("pk")
    assert TOKEN not in str(event.detail) and "secret.auth_token" in str(event.detail)


def test_a_key_set_empty_is_removed_and_disable_turns_it_off(offered):
    _run("set", "demo", "sms", "--config", "from=+815012345678", "--secret", f"auth_token={TOKEN}", "--enable")
    _run("set", "demo", "sms", "--secret", "auth_token=", "--disable")
    setting = ChannelSetting.objects.get(municipality=offered, channel="sms")
    assert setting.secret_values == {} and not setting.enabled


def test_check_exits_1_when_an_enabled_channel_is_not_ready_and_says_why(offered):
    _run("set", "demo", "sms", "--config", "from=+815012345678", "--secret", f"account_sid={SID}", "--enable")
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("channel", "check", "--city", "demo", stdout=out)
    assert refused.value.returncode == 1
    assert "auth_token" in out.getvalue()
    _run("set", "demo", "sms", "--secret", f"auth_token={TOKEN}")
    done = _run("check", "--city", "demo")
    assert "demo sms: ready" in done and TOKEN not in done


def test_check_passes_with_nothing_enabled(offered):
    assert "demo line: off" in _run("check")


@pytest.mark.parametrize("args", [
    ("set", "demo", "email", "--enable"),
    ("set", "demo", "fax", "--enable"),
    ("set", "nowhere", "sms", "--enable"),
    ("set", "demo", "sms", "--config", "no-equals-sign"),
    ("list", "--city", "nowhere"),
])
def test_what_cannot_be_done_is_said_plainly(offered, args):
    with pytest.raises(CommandError):
        _run(*args)
    assert not ChannelSetting.objects.exists()


@pytest.fixture
def operator_client(django_user_model, client):
    client.force_login(django_user_model.objects.create_superuser("operator", password="x-pass-2026"))
    return client


def test_the_admin_never_shows_a_secret_and_keeps_it_when_left_empty(operator_client, offered):
    from django.urls import reverse

    _run("set", "demo", "sms", "--config", "from=+815012345678", "--secret", f"account_sid={SID}",
         "--secret", f"auth_token={TOKEN}", "--enable")
    setting = ChannelSetting.objects.get(channel="sms")
    url = reverse("admin:notify_channelsetting_change", args=[setting.pk])
    page = operator_client.get(url).content.decode()
    assert "auth_token" in page and TOKEN not in page and SID not in page
    data = {"municipality": offered.pk, "channel": "sms", "enabled": "on",
            "config": '{"from": "+815012345678"}', "new_secrets": ""}
    assert operator_client.post(url, data).status_code == 302
    setting.refresh_from_db()
    assert setting.secret_values == {"account_sid": SID, "auth_token": TOKEN}
    data["new_secrets"] = "not json"
    assert operator_client.post(url, data).status_code == 200  # shown again with the message
    data["new_secrets"] = '{"auth_token": "new-token", "account_sid": ""}'
    assert operator_client.post(url, data).status_code == 302
    setting.refresh_from_db()
    assert setting.secret_values == {"auth_token": "new-token"}
    assert "account_sid" in operator_client.get(reverse("admin:notify_channelsetting_changelist")).content.decode()
