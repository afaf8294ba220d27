"""The hand-off's settings (settings.py, MADOGUCHI_HANDOFF_*), read when used: tests change them."""

from pathlib import Path

from django.conf import settings


def mode() -> str:
    """"inline": delivered right after the commit in the process that committed (as the
    outbox's inline mode), with `run_handoffs` retrying; "worker": only `run_handoffs` delivers."""
    return settings.MADOGUCHI_HANDOFF_MODE


def config_dir() -> Path:
    """Where each city's `<slug>/handoff.yaml` is: the cities' catalogue folders by default."""
    return Path(settings.MADOGUCHI_HANDOFF_CONFIG_DIR or settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR)


def export_dir() -> Path:
    """What a file target's relative `directory` is relative to."""
    return Path(settings.MADOGUCHI_HANDOFF_DIR)


def lease_seconds() -> float:
    """How long a worker's claim lasts: longer than one delivery can take (the HTTP timeout)."""
    return float(settings.MADOGUCHI_HANDOFF_LEASE_SECONDS)


def retry_seconds() -> float:
    """The first retry's wait; each later one doubles, up to `retry_max_seconds`."""
    return float(settings.MADOGUCHI_HANDOFF_RETRY_SECONDS)


def retry_max_seconds() -> float:
    return float(settings.MADOGUCHI_HANDOFF_RETRY_MAX_SECONDS)


def give_up_hours() -> float:
    """After this long without a delivery (from the hand-off, or from a 再送) it is 失敗."""
    return float(settings.MADOGUCHI_HANDOFF_GIVE_UP_HOURS)
