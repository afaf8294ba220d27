"""支援措置 at the counter: which people of a visit are protected, and whether the visitor may
see their address. Its own module because the bundle (which fills the forms), the services
(which confirm the person) and the visitor's pages (tablet, PDFs) all read it, and the
services import the bundle.
"""

from madoguchi.counter.models import CounterVisit
from madoguchi.register import protection
from madoguchi.register.selectors import members_of

MASKED = protection.MASKED

def protected_people(visit: CounterVisit) -> set[int]:
    """The residents of the visit under a 支援措置 (register.protection): the visitor, the
    represented resident and the members of the household the forms are about. Not a look-up
    shown to anyone (no audit event): the pages that show these people audit their own."""
    people = {r.pk for r in (visit.visitor, visit.represented) if r is not None}
    if visit.subject is not None:
        people.update(members_of(visit.subject).values_list("pk", flat=True))
    return protection.protected_ids(visit.municipality, people) if people else set()


def hides_address(visit: CounterVisit) -> bool:
    """No register address is filled, shown on the visitor's tablet or printed for the
    visitor while a protected person is in the visit and the clerk has not confirmed that the
    visitor is that person: whoever stands at the counter may be the one the protection is
    against (a 代理人, a member of the household)."""
    return not visit.protected_person_confirmed and bool(protected_people(visit))


def came_in_person(visit: CounterVisit, applicant) -> bool:
    """Whether the applicant came themselves, as far as 支援措置 goes: not with a 代理人, and not
    a protected visitor the clerk has not confirmed as that person. Otherwise a request for a
    protected resident's 住民票の写し or 附票 is held for the 支援措置担当
    (applications.protection_holds)."""
    if applicant is None or visit.visitor_id != applicant.pk:
        return False
    return visit.protected_person_confirmed or applicant.pk not in protected_people(visit)
