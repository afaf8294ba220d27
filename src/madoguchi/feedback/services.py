"""Recording an answer, and forgetting used links once they could not be answered anyway."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from madoguchi.core.models import Department
from madoguchi.feedback import invites
from madoguchi.feedback.models import SurveyAnswer, SurveyUse

COMMENT_MAX = 1200  # characters: a few paragraphs; longer text is refused by the form, not cut


def already_answered(invite: invites.Invite) -> bool:
    return SurveyUse.objects.filter(digest=invite.digest).exists()


def record_answer(invite: invites.Invite, rating: int, comment: str, language: str) -> bool:
    """Store the answer and mark the link used, in one transaction; False (and nothing stored)
    when the link was answered already, also by a second request racing this one: the unique
    digest decides, not a read before the write.

    The answer keeps the day only and no link to the SurveyUse row or to the resident."""
    today = timezone.localdate()
    department_id = invite.department_id
    if department_id is not None and not Department.objects.filter(
            pk=department_id, municipality_id=invite.city_id).exists():
        department_id = None  # the department has left the city since the link was made
    try:
        with transaction.atomic():
            SurveyUse.objects.create(municipality_id=invite.city_id, digest=invite.digest, used_on=today)
            SurveyAnswer.objects.create(
                municipality_id=invite.city_id, touchpoint=invite.touchpoint,
                procedure_code=invite.procedure_code, department_id=department_id,
                language=language, rating=rating, comment=comment.strip(), answered_on=today)
    except IntegrityError:
        return False
    return True

