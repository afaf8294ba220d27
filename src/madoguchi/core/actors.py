"""Who acts, and on whose behalf: carried from the request into services and the audit log."""

import ipaddress
from dataclasses import dataclass

from django.conf import settings

from madoguchi.core.models import ActorKind


@dataclass(frozen=True)
class Actor:
    kind: str
    ref: str
    ip_address: str | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorKind.SYSTEM, "system")

    @classmethod
    def staff(cls, user, ip_address: str | None = None) -> "Actor":
        return cls(ActorKind.STAFF, f"staff:{user.pk}", ip_address)

    @classmethod
    def resident(cls, account_id: int, ip_address: str | None = None) -> "Actor":
        return cls(ActorKind.RESIDENT, f"resident:{account_id}", ip_address)

    @property
    def staff_user_id(self) -> int | None:
        return int(self.ref.split(":", 1)[1]) if self.ref.startswith("staff:") else None


def client_ip(request) -> str | None:
    """The caller's address: the peer's, or, when the peer is a proxy the city trusts
    (`MADOGUCHI_TRUSTED_PROXIES`, addresses or networks), the `X-Real-IP` that proxy set.

    Behind nginx every request reaches gunicorn from 127.0.0.1, so without this the login
    lock, the e-mail code limits and the audit log would see one client. Only a trusted peer
    may name another address (anyone can send the header), and only one well-formed address
    is taken (deploy/nginx overwrites the header with what it saw, never appends).
    """
    peer = request.META.get("REMOTE_ADDR") or None
    claimed = request.META.get("HTTP_X_REAL_IP", "").strip()
    if peer and claimed and _trusted(peer):
        try:
            return str(ipaddress.ip_address(claimed))
        except ValueError:
            return peer
    return peer


def _trusted(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False)
               for network in settings.MADOGUCHI_TRUSTED_PROXIES)
