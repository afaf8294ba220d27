"""Staff rights that expire, as a city administrator handles them (/staff/city/rights/).

A role in a department runs to the end of the fiscal year it was given in (人事異動 is on
1 April; core.models.StaffMembership). Each March the administrator sees what ends soon, renews
in one go the roles of those who stay, and lets the others end; between two March renewals a
temporary exception (応援 from another department, 代決 while the approver is away) is a role
with its reason and a short period. Every change is one audit event per role, with the period
before and after.

Like administration.services, every function takes the city of the request and touches only
that city's rows.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.administration.services import CityAdminError
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.models import Department, Municipality, StaffMembership, fiscal_year_end
from madoguchi.core.roles import today

EXPIRING_DAYS = 30  # the list's default: what ends within a month
LONGEST_LIST_DAYS = 366
# An exception is short: at most about three months, after which the role is either renewed
# as a regular one (for the fiscal year) or ends.
EXCEPTION_MAX_DAYS = 92


def period(membership: StaffMembership) -> dict:
    """What the audit log keeps of a role: codes and dates, never a name."""
    return {"department": membership.department.code, "role": membership.role,
            "valid_from": membership.valid_from.isoformat(),
            "valid_until": membership.valid_until.isoformat(), "note": membership.note}


def renewal_end(membership: StaffMembership, on: date | None = None) -> date:
    """Where a renewal takes a role: the end of the fiscal year after the one it ends in (a role
    ending on 31 March 2027 runs to 31 March 2028), and never less than the end of the current
    fiscal year (a role that ended last year comes back for this one)."""
    return max(fiscal_year_end(membership.valid_until + timedelta(days=1)), fiscal_year_end(on or today()))


def renewable(city: Municipality):
    """The roles an administrator may renew here: this city's, of active accounts."""
    return (StaffMembership.objects.filter(department__municipality=city, user__is_active=True)
            .select_related("user", "department"))


@dataclass(frozen=True)
class Row:
    membership: StaffMembership
    state: str  # "expired" (ended within the days asked) or "expiring"
    renewed_until: date


def expiring(city: Municipality, days: int = EXPIRING_DAYS, on: date | None = None) -> list[Row]:
    """The roles that end within `days` days from today, and those that ended within the last
    `days` days (someone may have been forgotten in March), soonest first."""
    day = on or today()
    found = (renewable(city)
             .filter(valid_until__gte=day - timedelta(days=days), valid_until__lte=day + timedelta(days=days))
             .order_by("valid_until", "user__username", "department__code", "role"))
    return [Row(m, "expired" if m.valid_until < day else "expiring", renewal_end(m, day)) for m in found]


@transaction.atomic
def renew(city: Municipality, actor: Actor, chosen) -> list[StaffMembership]:
    """Renew each chosen role to `renewal_end`, one audit event each. `chosen` comes from the
    form (roles of `renewable(city)` only); a role of another city is refused as a whole."""
    ids = [m.pk for m in chosen]
    locked = list(renewable(city).select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    if len(locked) != len(set(ids)):
        raise CityAdminError(_("選べない役割が含まれています。"))
    day = today()
    for membership in locked:
        before = period(membership)
        membership.valid_until = renewal_end(membership, day)
        membership.note = ""  # renewed for the year: no longer an exception
        membership.save(update_fields=["valid_until", "note"])
        audit.record(city, actor, "city.role_renew", "staff_user", membership.user_id,
                     membership=membership.pk, before=before, after=period(membership))
    return locked


@transaction.atomic
def grant_exception(city: Municipality, actor: Actor, user, department: Department, role: str,
                    start: date, end: date, note: str) -> StaffMembership:
    """A temporary role with its reason. The form has checked the dates and the reason; here
    the role the user may already hold: one in force that already runs to `end` is refused (it
    needs no exception), one in force that ends sooner is extended to `end` from its own start
    (when the exception starts by the day after it ends), one out of force is given again for
    the exception's period."""
    if department.municipality_id != city.pk:
        raise CityAdminError(_("この担当課・役割は選べません。"))
    held = (StaffMembership.objects.select_for_update().select_related("department")
            .filter(user=user, department=department, role=role).first())
    before = period(held) if held else None
    day = today()
    if held is None:
        held = StaffMembership(user=user, department=department, role=role, valid_from=start)
    elif held.in_force(day):
        if held.valid_until >= end:
            raise CityAdminError(_("この職員はこの役割を%(until)sまで持っています。例外は要りません。")
                                 % {"until": held.valid_until.isoformat()})
        if start > held.valid_until + timedelta(days=1):
            raise CityAdminError(_("いまの役割が%(until)sに終わってから始まる例外は、その日の後に与えてください。")
                                 % {"until": held.valid_until.isoformat()})
    else:
        held.valid_from = start
    held.valid_until, held.note = end, note
    held.save()
    audit.record(city, actor, "city.role_exception", "staff_user", user.pk, membership=held.pk,
                 before=before, after=period(held))
    return held
