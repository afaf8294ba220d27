"""Once-only online: a card-linked resident's form starts with what the register holds.

Only top-level fields marked with an applicant `prefill` are filled. Household members and
children are available through `children_of` for group fields once the catalogue has a
prefill value for them (see docs/register.md).
"""

from datetime import date

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.register.models import Resident
from madoguchi.register.selectors import members_of
from madoguchi.register.services import linked_resident

SOURCE = "register"
ADULT_AGE = 18

FROM_REGISTER = {
    "applicant_name": lambda r: r.name,
    "applicant_kana": lambda r: r.kana,
    "applicant_birth_date": lambda r: r.birth_date.isoformat(),
    "applicant_address": lambda r: r.full_address,
    "applicant_postal_code": lambda r: r.postal_code,
}


def values_for(account, form) -> dict[str, str]:
    """Field id → value from the linked register record; {} without a link."""
    resident = linked_resident(account)
    if resident is None:
        return {}
    values = {field.id: FROM_REGISTER[field.prefill](resident)
              for step in form.steps for field in step.fields
              if field.prefill in FROM_REGISTER and FROM_REGISTER[field.prefill](resident)}
    if values:
        audit.record(account.municipality, Actor.resident(account.pk), "register_prefill",
                     "register", "prefill", subject_ref=account.ref, resident=resident.pk,
                     fields=sorted(values))
    return values


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def children_of(resident: Resident, on: date | None = None) -> list[dict[str, str]]:
    """The household's current children (子, under 18) as group items: name, kana, birth date."""
    on = on or date.today()
    return [{"name": c.name, "kana": c.kana, "birth_date": c.birth_date.isoformat()}
            for c in members_of(resident)
            if c.relationship == "子" and _age(c.birth_date, on) < ADULT_AGE]
