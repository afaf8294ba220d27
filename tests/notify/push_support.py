"""Web Push in tests: the city's push setting with a fresh VAPID key pair, the local push
service (tests/notify/push_server.py) allowed as an endpoint origin."""

import pytest
from push_server import PushServer

from madoguchi.notify.channels.push import new_keys
from madoguchi.notify.models import ChannelSetting

SUBJECT = "mailto:it@city.demo.example.jp"


def push_setting(city, server_url: str, **config) -> ChannelSetting:
    """Turn Web Push on for `city` with a new VAPID pair; the local push service allowed."""
    public, private = new_keys()
    setting, _ = ChannelSetting.objects.update_or_create(
        municipality=city, channel="push",
        defaults={"enabled": True, "config": {"vapid_public_key": public, "subject": SUBJECT,
                                              "ttl": 3600, "endpoint_origins": [server_url], **config}})
    setting.set_secrets({"vapid_private_key": private})
    setting.save()
    if city.channels:
        city.channels = sorted({*city.channels, "push", "email"})
        city.save(update_fields=["channels"])
    return setting


@pytest.fixture
def push_server():
    server = PushServer()
    server.start()
    yield server
    server.stop()
