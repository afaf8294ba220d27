"""The typed registry each kind of provider keeps (core/registry.py): only subclasses of the
kind's base, one class per code, an unknown code a named error."""

import pytest

from madoguchi.core.registry import Registry
from madoguchi.handoff import targets
from madoguchi.notify import channels
from madoguchi.payments import providers


class Base:
    code = ""


class UnknownThing(LookupError):
    pass


def test_a_registry_takes_subclasses_once_and_names_what_it_lacks():
    registry = Registry(Base, "code", "thing", UnknownThing)

    @registry.register
    class One(Base):
        code = "one"

    assert registry.lookup("one") is One and "one" in registry
    assert registry.register(One) is One  # the same class again (a module reloaded) is fine
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(type("Other", (Base,), {"code": "one"}))
    with pytest.raises(TypeError):
        registry.register(type("Stranger", (), {"code": "two"}))
    with pytest.raises(UnknownThing):
        registry.lookup("two")


def test_every_kind_of_provider_finds_its_modules():
    assert {"counter", "stripe", "paypay"} <= set(providers.registry)
    assert {"file", "http"} <= set(targets.registry)
    assert "email" in channels.registry
    with pytest.raises(providers.UnknownProvider):
        providers.provider_class("cash-in-an-envelope")
    with pytest.raises(channels.UnknownChannel):
        channels.channel_class("pigeon")
