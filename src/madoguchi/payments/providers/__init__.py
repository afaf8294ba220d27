"""The typed registry of payment providers: code → PaymentProvider subclass.

A provider module registers its class with `@register`; `provider_for(setting)` builds the
instance for one city's ProviderSetting. The modules are imported here once, so importing
`madoguchi.payments.providers` is enough to see every provider.
"""

import importlib
import importlib.util

from madoguchi.payments.providers.base import (  # noqa: F401 - the public names
    Outcome,
    PaymentProvider,
    ProviderError,
    ProviderRefused,
    Started,
    WebhookEvent,
    WebhookRefused,
)

registry: dict[str, type[PaymentProvider]] = {}


class UnknownProvider(LookupError):
    """No provider is registered under this code."""


def register(cls: type[PaymentProvider]) -> type[PaymentProvider]:
    if not issubclass(cls, PaymentProvider):
        raise TypeError(f"{cls!r} is not a PaymentProvider")
    existing = registry.get(cls.code)
    if existing is not None and existing is not cls:
        raise ValueError(f"payment provider {cls.code!r} registered twice")
    registry[cls.code] = cls
    return cls


def provider_class(code: str) -> type[PaymentProvider]:
    try:
        return registry[code]
    except KeyError:
        raise UnknownProvider(code) from None


def provider_for(setting) -> PaymentProvider:
    return provider_class(setting.provider)(setting)


# The provider modules shipped with Madoguchi. A module missing from a checkout (an adapter
# still being written) is skipped rather than breaking every import of payments.
for _name in ("counter", "stripe", "paypay"):
    _module = f"{__name__}.{_name}"
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)
