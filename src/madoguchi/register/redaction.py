"""The register's redactor: the addresses of residents under a 支援措置 in force, masked in
everything Madoguchi sends or prints for someone else (core.redaction runs it; RegisterConfig.ready
registers it, because notify and the PDF layouts sit below the register and cannot ask it).

A recipient is spared their own address: a register record named "register:<pk>" (Resident.ref),
or a resident account "resident:<pk>" (ResidentAccount.ref) through the register record it is
linked to with the card (RegisterLink). An account that is not linked is nobody the register
knows, so it is spared nothing: when in doubt, the address is masked.
"""

from functools import partial

from madoguchi.core.redaction import Masker
from madoguchi.identity.models import ResidentAccount
from madoguchi.register import protection
from madoguchi.register.models import RegisterLink, Resident

ACCOUNT_PREFIX = ResidentAccount(pk=0).ref.partition(":")[0] + ":"
RESIDENT_PREFIX = Resident(pk=0).ref.partition(":")[0] + ":"


def _ids(recipients: frozenset[str], prefix: str) -> set[int]:
    found = set()
    for ref in recipients:
        if ref.startswith(prefix) and ref[len(prefix):].isdigit():
            found.add(int(ref[len(prefix):]))
    return found


def recipients_residents(municipality, recipients: frozenset[str]) -> set[int]:
    """The register records the recipients are: named directly, or linked to their account."""
    residents = _ids(recipients, RESIDENT_PREFIX)
    accounts = _ids(recipients, ACCOUNT_PREFIX)
    if accounts:
        residents |= set(RegisterLink.objects.filter(
            municipality=municipality, account_id__in=accounts,
            resident__municipality=municipality).values_list("resident_id", flat=True))
    return residents


def protected_addresses(municipality, recipients: frozenset[str] = frozenset()) -> Masker | None:
    """The masker for the city's protected addresses other than the recipients' own; None when
    no mark is in force (one query: the common case; the recipients are looked up only when
    there is something to spare them)."""
    keys = protection.addresses_of(municipality)
    if not keys:
        return None
    spared = recipients_residents(municipality, recipients) if recipients else set()
    if spared:
        keys = keys - protection.addresses_of(municipality, spared)
    if not keys:
        return None
    return partial(protection.mask_lines, keys=keys)
