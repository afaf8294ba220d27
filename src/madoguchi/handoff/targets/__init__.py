"""The typed registry of hand-off target kinds: kind → HandoffTarget subclass.

The same shape as the payment providers' registry (payments/providers/): a kind registers its
class with `@register`, `target_class(kind)` finds it. Where it differs: a payment provider is
configured by a `ProviderSetting` row with its secrets encrypted in the database, edited on the
system administrator's pages; a hand-off target is configured in the city's `handoff.yaml`
beside its catalogue (config.py), reviewed and deployed like the catalogue, because the targets
are set up with the business systems' vendors, not by a clerk, and a target's secret is read
from a file whose path the YAML names (never stored in the database at all).
"""

from madoguchi.core.registry import Registry
from madoguchi.handoff.targets.base import (  # noqa: F401 - the public names
    DeliveryFailed,
    HandoffTarget,
    TargetSettings,
)


class UnknownTarget(LookupError):
    """No target kind is registered under this name."""


registry: Registry[type[HandoffTarget]] = Registry(HandoffTarget, "kind", "hand-off target kind", UnknownTarget)
register = registry.register
target_class = registry.lookup

registry.load(__name__, ("file", "http"))
