"""Who acts, and on whose behalf: carried from the request into services and the audit log."""

from dataclasses import dataclass

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
    """The caller's address; behind a proxy, configure it to set REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR") or None
