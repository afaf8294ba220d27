"""Linking a resident account to its register record, and what pre-fill may read from it."""

from django.db import transaction

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.register.codes import CURRENT
from madoguchi.register.models import RegisterLink, Resident
from madoguchi.register.selectors import matching_basic_info


@transaction.atomic
def link_account(account, info, linked_by: str = "signing_certificate",
                 ip_address: str | None = None) -> Resident | None:
    """Link the account to the one current resident matching the card's 基本4情報 (`info`:
    identity.jpki.profile.BasicInfo, from a verified signing certificate). No match, or more
    than one, removes any earlier link: pre-fill never guesses."""
    found = matching_basic_info(account.municipality, info.name, info.birth_date, info.address)
    actor = Actor.resident(account.pk, ip_address)
    if len(found) != 1:
        RegisterLink.objects.filter(account=account).delete()
        audit.record(account.municipality, actor, "register_link_failed", "account", account.pk,
                     subject_ref=account.ref, matches=len(found), via=linked_by)
        return None
    resident = found[0]
    RegisterLink.objects.update_or_create(
        account=account,
        defaults={"municipality": account.municipality, "resident": resident, "linked_by": linked_by})
    audit.record(account.municipality, actor, "register_linked", "account", account.pk,
                 subject_ref=account.ref, resident=resident.pk, via=linked_by)
    return resident


def linked_resident(account) -> Resident | None:
    """The account's current register record, or None (no link, moved out, another city)."""
    link = RegisterLink.objects.filter(
        account=account, municipality=account.municipality,
        resident__municipality=account.municipality, resident__status__in=CURRENT,
    ).select_related("resident__household").first()
    return link.resident if link else None


def linked_account(resident: Resident):
    """The account this resident proved with the card (the latest link), or None: a case filed
    at the counter then shows in that account's My Page and its notices go to its address."""
    link = RegisterLink.objects.filter(
        resident=resident, municipality=resident.municipality,
        account__municipality=resident.municipality,
    ).select_related("account").order_by("-linked_at").first()
    return link.account if link else None
