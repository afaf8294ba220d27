"""Residents' satisfaction, asked the way GOV.UK asks it: one question on a five-point scale and
an optional comment, after an online submission and after a counter visit.

An answer is anonymous: it keeps the city, where it was asked (online or at the counter), the
procedure and department it was about, the language and the day, never the submission, the
visit, the account or the time of day. A survey link is a signed token (feedback/invites.py)
holding those facts and a random nonce; only a keyed digest of the nonce is kept once used
(`SurveyUse`), so a link answers once and no row leads from an answer back to a person."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.core.crypto import EncryptedTextField
from madoguchi.core.models import Department, Municipality


class Touchpoint(models.TextChoices):
    ONLINE = "online", _("オンライン申請の後")
    COUNTER = "counter", _("窓口での手続の後")


class Rating(models.IntegerChoices):
    """The question's five answers, worst first (the order GOV.UK's scale reads in)."""

    VERY_DISSATISFIED = 1, _("とても不満")
    DISSATISFIED = 2, _("不満")
    NEUTRAL = 3, _("どちらでもない")
    SATISFIED = 4, _("満足")
    VERY_SATISFIED = 5, _("とても満足")


class SurveyAnswer(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+",
                                     db_index=False)  # led by the index below
    touchpoint = models.CharField(max_length=8, choices=Touchpoint.choices)
    procedure_code = models.CharField(max_length=64, blank=True, help_text="blank: a visit of several")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    language = models.CharField(max_length=16, default="ja")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    # May name people or numbers whatever the page says: encrypted; shown to staff masked.
    comment = EncryptedTextField(blank=True, default="", help_text="encrypted; shown masked")
    answered_on = models.DateField(help_text="the day only: a time would point at the visit")

    class Meta:
        indexes = [models.Index(fields=["municipality", "answered_on"], name="survey_city_day")]
        constraints = [models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5),
                                              name="survey_rating_1_to_5")]


class SurveyUse(models.Model):
    """A survey link already answered: the keyed digest of its nonce (core.codes.keyed_digest)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    used_on = models.DateField(help_text="kept until the link has expired anyway, then purged")
