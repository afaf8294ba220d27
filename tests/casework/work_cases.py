"""Cases for the department's work tests (assignment, checklist, due days, bulk 受付) on the
demo city's real procedures and departments, made in bulk (queue_cases.make_cases)."""

from datetime import date

from django.urls import reverse
from queue_cases import at, make_cases

from madoguchi.applications.models import Submission
from madoguchi.core.models import Department

NOTIFICATION = "child-allowance-change"  # kind: notification, こども家庭課
APPLICATION = "child-allowance-claim"  # kind: application, こども家庭課, with a checklist


def department(city, code="kodomo") -> Department:
    return Department.objects.get(municipality=city, code=code)


def cases(city, n: int, *, code="kodomo", procedure=NOTIFICATION, status="submitted",
          due: list[date | None] | None = None, start="2026-03-01 09:00") -> list[Submission]:
    """`n` cases of one department, a minute apart from `start`, with the due days given."""
    base = at(start)
    made = make_cases(city, [{"department": department(city, code), "procedure": procedure,
                              "status": status, "at": base.replace(minute=n_ % 60, hour=9 + n_ // 60)}
                             for n_ in range(n)])
    for case, day in zip(made, due or [], strict=False):
        case.due_on = day
        Submission.objects.filter(pk=case.pk).update(due_on=day)
    return made


def act(client, user, case, action, **data):
    """POST a case action as `user`; the page shown after the redirect."""
    client.force_login(user)
    response = client.post(reverse("casework:action", args=[case.public_id, action]), data)
    assert response.status_code == 302, response
    return client.get(response["Location"]).content.decode()


def queue(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("casework:queue"), params)
    assert response.status_code == 200
    return response.content.decode()
