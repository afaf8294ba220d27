"""Reading the comments, masked, for the staff who may read them.

Comments are encrypted and an empty comment is encrypted too (no row tells in SQL whether it has
one), so the rows of the period and filters are read newest first and decrypted here until the
page is full; a page stops there rather than decrypting the whole period to count it.
"""

from dataclasses import dataclass
from datetime import date

from madoguchi.feedback.masking import mask
from madoguchi.feedback.models import SurveyAnswer

PER_PAGE = 30
CHUNK = 500


@dataclass(frozen=True)
class Comment:
    answered_on: date
    touchpoint: str
    procedure_code: str
    department_id: int | None
    department_name: str
    language: str
    rating: int
    text: str  # masked


@dataclass(frozen=True)
class CommentPage:
    comments: list[Comment]
    number: int
    has_next: bool


def answers(city, first: date, last: date, departments=None, procedure: str = "", touchpoint: str = "",
            rating: int | None = None):
    """The answers of the city in [first, last] under the filters. `departments`: None for every
    answer (readers of the city's figures), else only those about these departments (an answer
    about a visit of several departments has none, and is read by the former only)."""
    rows = SurveyAnswer.objects.filter(municipality=city, answered_on__gte=first, answered_on__lte=last)
    if departments is not None:
        rows = rows.filter(department__in=departments)
    if procedure:
        rows = rows.filter(procedure_code=procedure)
    if touchpoint:
        rows = rows.filter(touchpoint=touchpoint)
    if rating:
        rows = rows.filter(rating=rating)
    return rows


def comment_page(rows, number: int = 1, per_page: int = PER_PAGE) -> CommentPage:
    """Page `number` (from 1) of the answers in `rows` that have a comment, newest first, masked."""
    number = max(1, number)
    skip, found = (number - 1) * per_page, []
    ordered = rows.select_related("department").order_by("-answered_on", "-id")
    for answer in ordered.iterator(chunk_size=CHUNK):
        if not answer.comment.strip():
            continue
        if skip:
            skip -= 1
            continue
        if len(found) == per_page:
            return CommentPage(found, number, has_next=True)
        found.append(Comment(
            answered_on=answer.answered_on, touchpoint=answer.touchpoint, procedure_code=answer.procedure_code,
            department_id=answer.department_id,
            department_name=answer.department.shown_name if answer.department else "",
            language=answer.language, rating=answer.rating, text=mask(answer.comment)))
    return CommentPage(found, number, has_next=False)
