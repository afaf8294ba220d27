"""One typed registry per kind of provider: payment providers (payments/providers/), hand-off
targets (handoff/targets/) and notification channels (notify/channels/) each keep theirs.

A registry maps a code (a class attribute such as `code` or `kind`) to a subclass of the kind's
base class. It is a dict, so `code in registry`, `sorted(registry)` and `registry.get(code)`
read as they always did; `register` is the decorator a provider module puts on its class.
Written here rather than with an entry-point library (stevedore, pluggy): the providers ship
inside Madoguchi, so a module import is the whole discovery.
"""

import importlib
import importlib.util
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T", bound=type)


class Registry(dict, Generic[T]):
    def __init__(self, base: type, key: str, noun: str, unknown: type[LookupError] = LookupError):
        super().__init__()
        self.base, self.key, self.noun, self.unknown = base, key, noun, unknown

    def register(self, cls: T) -> T:
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise TypeError(f"{cls!r} is not a {self.base.__name__}")
        code = getattr(cls, self.key)
        existing = self.get(code)
        if existing is not None and existing is not cls:
            raise ValueError(f"{self.noun} {code!r} registered twice")
        self[code] = cls
        return cls

    def lookup(self, code: str) -> T:
        """The class registered under `code`; the registry's `unknown` error otherwise."""
        try:
            return self[code]
        except KeyError:
            raise self.unknown(code) from None

    def load(self, package: str, names: Iterable[str]) -> None:
        """Import the modules that register themselves. A module missing from a checkout (an
        adapter still being written) is skipped rather than breaking every import of the app."""
        for name in names:
            module = f"{package}.{name}"
            if importlib.util.find_spec(module) is not None:
                importlib.import_module(module)
