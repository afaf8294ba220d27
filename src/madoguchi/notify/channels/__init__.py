"""The typed registry of notification channels: code → Channel subclass.

A channel module registers its class with `@register`; `channel_for(municipality, code)` builds
the instance for one city (its ChannelSetting), or None when the city does not offer it.
The modules are imported here once, so importing `madoguchi.notify.channels` sees them all.
"""

from madoguchi.core.registry import Registry
from madoguchi.notify.channels.base import (  # noqa: F401 - the public names
    FAILURES,
    Channel,
    Outgoing,
    PermanentFailure,
    Sent,
    StatusReport,
    TemporaryFailure,
    WebhookRefused,
)

ORDER = ("line", "push", "sms", "email")  # the order channels are listed in, e-mail last


class UnknownChannel(LookupError):
    """No channel is registered under this code."""


registry: Registry[type[Channel]] = Registry(Channel, "code", "channel", UnknownChannel)
register = registry.register
channel_class = registry.lookup


def label_of(code: str):
    """The channel's name as people read it (translated); an unknown code as itself."""
    cls = registry.get(code)
    return cls.label if cls is not None else code


def offered(municipality) -> list[str]:
    """The channels the city lists (Municipality.channels; [] = every channel), in ORDER."""
    listed = set(municipality.channels or ()) or set(registry)
    return [code for code in ORDER if code in registry and code in listed]


def channel_for(municipality, code: str) -> Channel | None:
    """The city's channel, ready to send; None when the city does not offer it, has not
    enabled it or its settings are incomplete (check_config)."""
    from madoguchi.notify.models import ChannelSetting

    if code not in offered(municipality):
        return None
    cls = channel_class(code)
    setting = None
    if cls.needs_setting:
        setting = ChannelSetting.objects.filter(municipality=municipality, channel=code, enabled=True).first()
        if setting is None:
            return None
    channel = cls(setting)
    return None if channel.check_config() else channel


# The channel modules shipped with Madoguchi.
registry.load(__name__, ("email", "line", "sms", "push"))
