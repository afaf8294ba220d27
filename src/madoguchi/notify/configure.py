"""A city's notification channels as its IT sets them up: one place for the `channel` command
and the Django admin to change a ChannelSetting (public config, write-only secrets, on/off),
record it in the audit log (names only, never a value) and say what is wrong with it."""

import json
from dataclasses import dataclass

from django.db import transaction

from madoguchi.core import audit
from madoguchi.core.secrets import merged
from madoguchi.notify import channels
from madoguchi.notify.models import ChannelSetting


class SettingRefused(ValueError):
    """The change cannot be made as asked (an unknown channel, a malformed KEY=VALUE)."""


@dataclass(frozen=True)
class ChannelState:
    """One channel of one city, as IT reads it."""

    code: str
    offered: bool        # the city lists it (Municipality.channels)
    enabled: bool        # its ChannelSetting is on (e-mail: always, it needs none)
    needs_setting: bool
    config: dict
    secret_names: list
    problems: list       # check_config()'s words, [] when ready

    @property
    def state(self) -> str:
        if not self.offered:
            return "not offered"
        if not self.enabled:
            return "off"
        return "problem" if self.problems else "ready"


def settable() -> list[str]:
    """The channels that take a setting (LINE, SMS, Web Push; e-mail is the mail backend's)."""
    return [code for code in channels.ORDER if code in channels.registry and channels.registry[code].needs_setting]


def parse_pairs(pairs: list[str], *, typed: bool) -> dict:
    """KEY=VALUE pairs; an empty VALUE (KEY=) stands for "remove". `typed`: a value that reads as
    a JSON number, true/false or a list is stored as one (a TTL, a flag), any other as text."""
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SettingRefused(f"{pair.partition('=')[0] or pair!r}: write KEY=VALUE")
        if typed and value:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
            value = value if isinstance(parsed, str) or parsed is None else parsed
        found[key] = value
    return found


def problems_of(setting: ChannelSetting) -> list[str]:
    try:
        cls = channels.channel_class(setting.channel)
    except channels.UnknownChannel:
        return [f"no channel is registered as {setting.channel!r}"]
    return [str(p) for p in cls(setting).check_config()]


def change(municipality, code: str, *, config: dict | None = None, secrets: dict | None = None,
           enabled: bool | None = None, actor) -> tuple[ChannelSetting, list[str]]:
    """Apply the changes and return the setting and what changed (names of keys, never values)."""
    if code not in settable():
        raise SettingRefused(f"{code!r} is not a channel with settings (one of: {', '.join(settable())})")
    with transaction.atomic():
        setting, created = ChannelSetting.objects.select_for_update().get_or_create(
            municipality=municipality, channel=code)
        changed = ["created"] if created else []
        if config:
            setting.config = merged(setting.config or {}, config)
            changed += [f"config.{key}" for key in sorted(config)]
        if secrets:
            setting.set_secrets(merged(setting.secret_values, secrets))
            changed += [f"secret.{key}" for key in sorted(secrets)]
        if enabled is not None and enabled != setting.enabled:
            setting.enabled = enabled
            changed.append("enabled" if enabled else "disabled")
        setting.save()
        if changed:
            audit.record(municipality, actor, "update", "channel_setting", code, changed=changed)
    return setting, changed


def states(municipality) -> list[ChannelState]:
    """Every registered channel of the city, in ORDER, with what is wrong with it."""
    offered = set(channels.offered(municipality))
    settings = {s.channel: s for s in ChannelSetting.objects.filter(municipality=municipality)}
    found = []
    for code in channels.ORDER:
        cls = channels.registry.get(code)
        if cls is None:
            continue
        setting = settings.get(code)
        if not cls.needs_setting:
            found.append(ChannelState(code, code in offered, True, False, {}, [], [str(p) for p in cls().check_config()]))
            continue
        found.append(ChannelState(
            code, code in offered, bool(setting and setting.enabled), True,
            dict(setting.config or {}) if setting else {}, sorted(setting.secret_values) if setting else [],
            problems_of(setting) if setting else ["no settings yet (madoguchi channel set)"]))
    return found
