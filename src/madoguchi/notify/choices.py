"""A resident's choices about their notifications, as My Page's 「通知の受け取り方」 changes
them: which channel comes first, whether short messages may name the procedure, and an
e-mail address that failed being tried again once the resident says it is fixed."""

from django.db import transaction

from madoguchi.notify.models import Contact
from madoguchi.notify.services import digest, routes_for

MAIN_RANK = 1  # the chosen channel; every other contact keeps the model's default (10)
OTHER_RANK = 10


class ChoiceRefused(ValueError):
    """The choice names a channel or contact the person does not have (a stale or forged form)."""


def active_channels(municipality, person: str) -> list[str]:
    """The channels the person can be reached on now, in their order: those of the routes a
    notice would take (services.routes_for), without e-mail (it always comes last)."""
    return list(dict.fromkeys(code for code, _address, _contact in routes_for(municipality, person, None)))


def choose_main_channel(municipality, person: str, channel: str) -> None:
    """Try `channel` first from now on: its contacts move to the front, the others behind it
    (each keeps its place among its own channel's contacts by its age)."""
    if channel not in active_channels(municipality, person):
        raise ChoiceRefused(channel)
    rows = Contact.objects.filter(municipality=municipality, person=person).exclude(channel="email")
    with transaction.atomic():
        rows.exclude(channel=channel).update(rank=OTHER_RANK)
        rows.filter(channel=channel).update(rank=MAIN_RANK)


def show_detail(municipality, person: str, contact_pk, on: bool) -> Contact:
    """The resident's opt-in (or opt-out) to see the procedure's name in short messages on
    this one contact: a phone others may glance at can stay on 「お知らせがあります」."""
    contact = Contact.objects.filter(municipality=municipality, person=person, pk=contact_pk).exclude(
        channel="email").first() if str(contact_pk).isdigit() else None
    if contact is None:
        raise ChoiceRefused(contact_pk)
    Contact.objects.filter(pk=contact.pk).update(detail=on)
    contact.detail = on
    return contact


def retry_email(municipality, email: str) -> bool:
    """The resident says their address works again (a full mailbox emptied, a typo fixed at
    their provider): forget the failure, so the next notice is mailed. False if none was kept."""
    return Contact.objects.filter(municipality=municipality, person="", channel="email",
                                  digest=digest("email", email)).delete()[0] > 0
