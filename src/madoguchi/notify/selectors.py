"""What went out to a person, read for display: the notices told to them (or about one of
their submissions), each with its deliveries channel by channel, and their contacts.

Two queries whatever the number of notices: the latest notice keys first, then every delivery
of those notices at once (a notice's fallbacks share its `notice_key`). The encrypted columns
(address, text, routes) are never read here: the display needs none of them."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max

from madoguchi.notify import channels, labels
from madoguchi.notify.models import Contact, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Delivery:
    """One try on one channel, as the resident and staff see it."""

    pk: int
    channel: str
    status: str
    failure: str
    fallback: bool
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None

    @property
    def channel_label(self):
        return channels.label_of(self.channel)

    @property
    def status_label(self):
        return labels.status_label(self.status)

    @property
    def failure_label(self):
        return labels.failure_label(self.failure) if self.status == OutboxStatus.FAILED else ""

    @property
    def when(self) -> datetime:
        """The latest thing that happened to it."""
        return self.delivered_at or self.sent_at or self.created_at


@dataclass
class Notice:
    """One thing told to a person (one notice_key), with every channel it was tried on."""

    key: str
    event: str
    about: str
    created_at: datetime
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def event_label(self):
        return labels.event_label(self.event)

    @property
    def state(self) -> str:
        """delivered / sent / pending / failed: the notice's furthest delivery."""
        states = {d.status for d in self.deliveries}
        for state in (OutboxStatus.DELIVERED, OutboxStatus.SENT, OutboxStatus.PENDING):
            if state in states:
                return str(state)
        return str(OutboxStatus.FAILED)

    @property
    def fell_back(self) -> bool:
        return any(d.fallback for d in self.deliveries)


_FIELDS = ("pk", "notice_key", "channel", "status", "failure", "fallback_of_id", "event", "about",
           "created_at", "sent_at", "delivered_at")


def notices(municipality, *, person: str | None = None, about: str | None = None,
            limit: int = 20) -> list[Notice]:
    """The latest `limit` notices told to `person` and/or about `about` ("submission:12"),
    newest first, each with its deliveries in the order they were tried."""
    if not person and not about:
        return []
    rows = OutboxMessage.objects.filter(municipality=municipality).exclude(notice_key="")
    if person:
        rows = rows.filter(person=person)
    if about:
        rows = rows.filter(about=about)
    keys = list(rows.values("notice_key").annotate(latest=Max("pk")).order_by("-latest")
                .values_list("notice_key", flat=True)[:limit])
    if not keys:
        return []
    found: dict[str, Notice] = {}
    for row in (OutboxMessage.objects.filter(municipality=municipality, notice_key__in=keys)
                .order_by("pk").values(*_FIELDS)):
        notice = found.get(row["notice_key"])
        if notice is None:
            notice = found[row["notice_key"]] = Notice(
                key=row["notice_key"], event=row["event"], about=row["about"], created_at=row["created_at"])
        notice.deliveries.append(Delivery(
            pk=row["pk"], channel=row["channel"], status=row["status"], failure=row["failure"],
            fallback=row["fallback_of_id"] is not None, created_at=row["created_at"],
            sent_at=row["sent_at"], delivered_at=row["delivered_at"]))
    return [found[key] for key in keys if key in found]


def contacts_of(municipality, person: str) -> list[Contact]:
    """The person's contacts (LINE, numbers, push subscriptions), in their order (rank), the
    disabled ones too: My Page says why they stopped."""
    if not person:
        return []
    return list(Contact.objects.filter(municipality=municipality, person=person)
                .order_by("rank", "pk"))
