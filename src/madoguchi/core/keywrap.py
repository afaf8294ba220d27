"""Key-wrapping providers: what keeps a city's data keys (core/keyring.py) unreadable in the
database. One typed registry, code → KeyWrapper, as for the payment providers.

A data key is a Fernet key that encrypts one city's rows. It is never stored in the clear: the
`CityKey.wrapped` column holds it encrypted ("wrapped") by a key-encryption key (KEK) that lives
outside the database. Which KEK wraps a city's keys is the city's wrapper (`CityKey.wrapper`):

- ``settings``: the deployment's MADOGUCHI_ENCRYPTION_KEYS (a MultiFernet: the first KEK wraps,
  every KEK unwraps, so the KEK itself rotates with `rotate_keys --rewrap`).
- ``file``: one KEK file per city, MADOGUCHI_CITY_KEK_DIR/<slug>.key (mode 0600, one or more
  Fernet keys newest first). A city whose file is lost or withheld cannot be read, even by
  someone holding the database and the settings.
- a KMS or HSM: a class that satisfies `KeyWrapper` (below), in a module named in
  MADOGUCHI_KEY_WRAPPER_MODULES that calls `register(...)`. Madoguchi ships none: a city's IT
  plugs in its own (AWS KMS Encrypt/Decrypt with the context as EncryptionContext, a PKCS#11
  HSM's C_WrapKey/C_UnwrapKey, HashiCorp Vault's transit engine, …).

Every wrapper binds the wrapped key to its context (city and key id): a wrapped key copied into
another city's row, or under another key id, does not unwrap. The two built-in wrappers do it by
wrapping the context with the key (Fernet has no associated data) and checking it on unwrap.

Written by hand: the KMS client libraries each wrap one vendor; what is shared here is only the
three-method contract and the two offline wrappers, a few lines of `cryptography`.
"""

import importlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from madoguchi.core.files import PRIVATE, write_atomically


class WrapperError(Exception):
    """A wrapper cannot wrap or unwrap: its KEK is missing, unreadable or not the right one.
    The message is plain and names no data, only the city, the key id and what to fix."""


@dataclass(frozen=True)
class KeyContext:
    """What a wrapped data key belongs to. A KMS passes it as its encryption context / AAD."""

    city_id: int
    city_slug: str
    key_id: str

    def as_dict(self) -> dict:
        return {"city": self.city_id, "key_id": self.key_id}


@runtime_checkable
class KeyWrapper(Protocol):
    """The interface a KMS/HSM adapter implements (and the built-in wrappers do).

    - `code`: stored in CityKey.wrapper; at most 32 characters, never reused for another KEK.
    - `wrap(context, data_key)`: the data key (44 bytes, a urlsafe-base64 Fernet key) encrypted
      by the KEK, bound to `context`. Called when a key is made and by `rotate_keys --rewrap`.
    - `unwrap(context, wrapped)`: the data key back. Must raise WrapperError when the KEK is not
      available or the wrapped key was not made for `context`. Called once per key and process
      every MADOGUCHI_CITY_CACHE_SECONDS at most (the plain key is cached in memory).
    - `check_config(slug)`: problems as plain sentences (empty when all is well), for `madoguchi
      check` and the system pages; `slug` None checks the deployment-wide configuration.
      No network call is required, but a KMS adapter may make one cheap call here.
    """

    code: str

    def wrap(self, context: KeyContext, data_key: bytes) -> bytes: ...

    def unwrap(self, context: KeyContext, wrapped: bytes) -> bytes: ...

    def check_config(self, slug: str | None = None) -> list[str]: ...


registry: dict[str, KeyWrapper] = {}


class UnknownWrapper(LookupError):
    """No key-wrapping provider is registered under this code."""


def register(wrapper: KeyWrapper) -> KeyWrapper:
    if not isinstance(wrapper, KeyWrapper):
        raise TypeError(f"{wrapper!r} is not a KeyWrapper")
    if not re.fullmatch(r"[a-z0-9_-]{1,32}", wrapper.code or ""):
        raise ValueError(f"key wrapper code {wrapper.code!r}: 1–32 of a-z 0-9 _ -")
    existing = registry.get(wrapper.code)
    if existing is not None and type(existing) is not type(wrapper):
        raise ValueError(f"key wrapper {wrapper.code!r} registered twice")
    registry[wrapper.code] = wrapper
    return wrapper


_loaded_modules: set[str] = set()


def _load_modules() -> None:
    """Import the deployment's wrapper modules (MADOGUCHI_KEY_WRAPPER_MODULES) once each."""
    for name in getattr(settings, "MADOGUCHI_KEY_WRAPPER_MODULES", []) or []:
        if name not in _loaded_modules:
            importlib.import_module(name)
            _loaded_modules.add(name)


def wrapper(code: str) -> KeyWrapper:
    _load_modules()
    try:
        return registry[code]
    except KeyError:
        raise UnknownWrapper(code) from None


def codes() -> list[str]:
    _load_modules()
    return sorted(registry)


def default_code() -> str:
    """The wrapper new cities' keys use unless told otherwise (MADOGUCHI_KEY_WRAPPER)."""
    return getattr(settings, "MADOGUCHI_KEY_WRAPPER", "") or SettingsWrapper.code


# The built-in wrappers: a Fernet KEK ring wraps the key together with its context.

def _seal(ring: MultiFernet, context: KeyContext, data_key: bytes) -> bytes:
    payload = {**context.as_dict(), "key": data_key.decode("ascii")}
    return ring.encrypt(json.dumps(payload, sort_keys=True).encode())


def _open(ring: MultiFernet, context: KeyContext, wrapped: bytes, where: str) -> bytes:
    try:
        payload = json.loads(ring.decrypt(bytes(wrapped)))
    except InvalidToken:
        raise WrapperError(f"data key {context.key_id} of city {context.city_slug}: no key-encryption "
                           f"key in {where} unwraps it") from None
    if {k: payload.get(k) for k in ("city", "key_id")} != context.as_dict():
        raise WrapperError(f"data key {context.key_id} of city {context.city_slug}: the wrapped key "
                           "was made for another city or key id")
    return payload["key"].encode("ascii")


def _fernet_keys(values, where: str) -> MultiFernet:
    keys = []
    for value in values:
        try:
            keys.append(Fernet(value.strip().encode() if isinstance(value, str) else value.strip()))
        except (ValueError, TypeError):
            raise WrapperError(f"{where} holds a value that is not a Fernet key "
                               "(make one with `madoguchi generate_key`)") from None
    if not keys:
        raise WrapperError(f"{where} holds no key")
    return MultiFernet(keys)


class SettingsWrapper:
    """Wraps with the deployment's MADOGUCHI_ENCRYPTION_KEYS (newest first)."""

    code = "settings"
    where = "MADOGUCHI_ENCRYPTION_KEYS"

    def _ring(self) -> MultiFernet:
        return _fernet_keys([k for k in settings.MADOGUCHI_ENCRYPTION_KEYS if k.strip()], self.where)

    def wrap(self, context: KeyContext, data_key: bytes) -> bytes:
        return _seal(self._ring(), context, data_key)

    def unwrap(self, context: KeyContext, wrapped: bytes) -> bytes:
        return _open(self._ring(), context, wrapped, self.where)

    def check_config(self, slug: str | None = None) -> list[str]:
        try:
            self._ring()
        except WrapperError as exc:
            return [str(exc)]
        return []


class FileWrapper:
    """Wraps with the city's own KEK file, MADOGUCHI_CITY_KEK_DIR/<slug>.key: one Fernet key a
    line, newest first (the first wraps, all unwrap). The file must be the deployment user's
    alone (mode 0600 or stricter); any other mode is refused, as ssh refuses a private key."""

    code = "file"

    def path(self, slug: str) -> Path:
        directory = getattr(settings, "MADOGUCHI_CITY_KEK_DIR", "") or ""
        if not directory:
            raise WrapperError("MADOGUCHI_CITY_KEK_DIR is not set: the file wrapper has no directory")
        if not re.fullmatch(r"[A-Za-z0-9_-]+", slug or ""):
            raise WrapperError(f"city slug {slug!r} cannot name a key file")
        return Path(directory) / f"{slug}.key"

    def _ring(self, slug: str) -> MultiFernet:
        path = self.path(slug)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise WrapperError(f"the key-encryption key file of city {slug} is missing: {path}") from None
        except OSError as exc:
            raise WrapperError(f"the key-encryption key file of city {slug} cannot be read: {path} "
                               f"({exc.strerror})") from None
        with os.fdopen(fd, "rb") as file:
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if mode & 0o077:
                raise WrapperError(f"the key-encryption key file of city {slug} is open to others "
                                   f"(mode {mode:04o}): chmod 600 {path}")
            lines = [line for line in file.read().splitlines() if line.strip()]
        return _fernet_keys(lines, str(path))

    def wrap(self, context: KeyContext, data_key: bytes) -> bytes:
        return _seal(self._ring(context.city_slug), context, data_key)

    def unwrap(self, context: KeyContext, wrapped: bytes) -> bytes:
        return _open(self._ring(context.city_slug), context, wrapped, str(self.path(context.city_slug)))

    def check_config(self, slug: str | None = None) -> list[str]:
        try:
            if slug is None:
                directory = Path(getattr(settings, "MADOGUCHI_CITY_KEK_DIR", "") or "")
                if not str(directory) or str(directory) == ".":
                    return ["MADOGUCHI_CITY_KEK_DIR is not set: the file wrapper has no directory"]
                if not directory.is_dir():
                    return [f"MADOGUCHI_CITY_KEK_DIR {directory} is not a directory"]
                return []
            self._ring(slug)
        except WrapperError as exc:
            return [str(exc)]
        return []

    def add_key(self, slug: str) -> Path:
        """Put a new KEK first in the city's file (made 0600 if new); the older ones stay so
        that keys wrapped by them still unwrap until `rotate_keys --rewrap` re-wraps them."""
        path = self.path(slug)
        old = b""
        if path.exists():
            self._ring(slug)  # refuses a file open to others or holding garbage
            old = path.read_bytes()
        new = Fernet.generate_key() + b"\n" + old
        write_atomically(path, new, PRIVATE)
        return path


register(SettingsWrapper())
register(FileWrapper())
