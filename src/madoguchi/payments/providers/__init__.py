"""The typed registry of payment providers: code → PaymentProvider subclass.

A provider module registers its class with `@register`; `provider_for(setting)` builds the
instance for one city's ProviderSetting. The modules are imported here once, so importing
`madoguchi.payments.providers` is enough to see every provider.
"""

from madoguchi.core.registry import Registry
from madoguchi.payments.providers.base import (  # noqa: F401 - the public names
    Outcome,
    PaymentProvider,
    ProviderError,
    ProviderRefused,
    Started,
    WebhookEvent,
    WebhookRefused,
)


class UnknownProvider(LookupError):
    """No provider is registered under this code."""


registry: Registry[type[PaymentProvider]] = Registry(PaymentProvider, "code", "payment provider", UnknownProvider)
register = registry.register
provider_class = registry.lookup


def provider_for(setting) -> PaymentProvider:
    return provider_class(setting.provider)(setting)


# The provider modules shipped with Madoguchi.
registry.load(__name__, ("counter", "stripe", "paypay"))
