"""Shared steps of the SMS tests: the local Twilio server, the city's SMS settings, a resident
with a verified number, and replaying a status callback the server signed."""

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sms_server import ACCOUNT_SID, AUTH_TOKEN, SmsServer

from madoguchi.notify import services
from madoguchi.notify.models import ChannelSetting

NUMBER = "+819012345678"
SENDER = "+15005550006"
HOOK = "http://testserver/notify/hooks/sms/"


@pytest.fixture
def sms_server():
    """The local Twilio; its status callbacks wait for the test (`pending`, `replay`)."""
    server = SmsServer(auto_callbacks=False)
    server.start()
    yield server
    server.stop()


def configure_sms(city, base_url: str, secrets: dict | None = None, **config) -> ChannelSetting:
    """Turn SMS on for the city (every channel offered), pointed at the local server."""
    city.channels = []
    city.save(update_fields=["channels"])
    setting, _ = ChannelSetting.objects.update_or_create(
        municipality=city, channel="sms",
        defaults={"enabled": True, "config": {"api_base": base_url, "from": SENDER, "status_callback": HOOK,
                                              **config}})
    setting.set_secrets({"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN} if secrets is None else secrets)
    setting.save()
    return setting


@pytest.fixture
def sms_city(city, sms_server):
    configure_sms(city, sms_server.base_url)
    return city


def with_number(city, resident, number: str = NUMBER):
    return services.add_contact(city, resident.ref, "sms", number, label="…" + number[-4:])


def tell_message(city, resident, key: str = "notice:1"):
    """Tell the resident that the department wrote (the 'message' event), SMS first."""
    return services.tell(city, "message", key=key, person=resident.ref, email=resident.email,
                         context={"submission": SimpleNamespace(receipt_number="R-0001")},
                         email_template="message", about="submission:1", link="/mypage/")


def replay(client, callback: dict, **headers):
    """Post a callback the server signed, as Twilio would, to the URL it names."""
    url = urlsplit(callback["url"])
    return client.post(url.path, data=callback["params"],
                       HTTP_X_TWILIO_SIGNATURE=headers.get("signature", callback["signature"]))
