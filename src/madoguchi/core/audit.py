"""Writing the audit log. Every view of a resident's data and every change goes through here."""

from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent, Municipality


def record(
    municipality: Municipality,
    actor: Actor,
    action: str,
    target_type: str,
    target_id,
    subject_ref: str = "",
    **detail,
) -> AuditEvent:
    """Append one event. `detail` must hold no personal data (ids and codes only)."""
    return AuditEvent.objects.create(
        municipality=municipality,
        actor_kind=actor.kind,
        actor_ref=actor.ref,
        ip_address=actor.ip_address,
        subject_ref=subject_ref,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail,
    )
