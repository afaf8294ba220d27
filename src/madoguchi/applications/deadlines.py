"""What a resident has to do by when: My Page's 「これからの手続と期限」 and the reminder mails.

Two sources, both already known elsewhere; nothing is computed here that another module owns:
- an open draft's `due_on` (its procedure's last day, set from the event's day by
  `services.start_from_plan` and `services.save_draft`);
- the 手続ナビ plans the resident's drafts were started from (`Draft.navigator_plan`): the
  plan's result (`navigator.services.result_for`) lists every procedure the event calls for
  with its last day — 児童手当 within 15 days of the birth, 転入 within 14 days of the move.
  Its procedures without a legal period follow the dated ones, so the plan's remaining
  steps are all on one list. A plan item already applied for (a submission since the plan was made, not withdrawn) is
  left out; one not yet started links to its start from the plan.

Reminders go through the outbox, one per thing due and threshold (`dedupe_key`), so a rerun,
or two runs at once, never mails twice. Thresholds are days before the last day
(`MADOGUCHI_DEADLINE_REMINDER_DAYS`, 3 and 1 by default); a run that was missed catches up
with the nearest threshold only (one mail, not one per threshold passed).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from madoguchi.applications.models import Draft, Status, Submission
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import i18n
from madoguchi.core.i18n import is_japanese
from madoguchi.core.japanese import format_wareki
from madoguchi.identity.models import ResidentAccount
from madoguchi.navigator import services as navigator_services
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.notify import services as notify
from madoguchi.notify.models import OutboxMessage

DEFAULT_REMINDER_DAYS = (3, 1)
_WEEKDAYS = "月火水木金土日"  # ja-only: weekday marks of the Japanese date


@dataclass
class Due:
    """One thing due: an open draft, or a plan's procedure not yet applied for."""

    code: str
    title: str
    due_on: date | None  # None: a plan's procedure with no legal period (listed last)
    today: date
    draft: Draft | None = None  # the open draft to resume
    plan: NavigatorPlan | None = None  # the plan the item comes from
    start_url: str = ""  # a plan item that can be started online
    place: str = ""  # where a plan item is done when not online
    event: str = ""  # the plan's life event, e.g. 出生

    @property
    def days_left(self) -> int | None:
        return None if self.due_on is None else (self.due_on - self.today).days

    @property
    def overdue(self) -> bool:
        return self.due_on is not None and self.days_left < 0

    @property
    def due_text(self) -> str:
        """「2026年12月7日（月）まで（令和8年12月7日）」"""
        d = self.due_on
        if d is None:
            return _("期限の定めはありません")
        if not is_japanese(get_language() or "ja"):
            # Translators: the last day of a procedure, e.g. "by December 7, 2026".
            return _("%(date)sまで") % {"date": date_format(d, "DATE_FORMAT")}
        return f"{d.year}年{d.month}月{d.day}日（{_WEEKDAYS[d.weekday()]}）まで（{format_wareki(d)}）"  # ja-only: 和暦

    @property
    def left_text(self) -> str:
        if self.due_on is None:
            return ""
        if self.overdue:
            late = -self.days_left
            return ngettext("期限を%(n)s日過ぎています", "期限を%(n)s日過ぎています", late) % {"n": late}
        if self.days_left == 0:
            return _("今日が期限です")
        return ngettext("あと%(n)s日", "あと%(n)s日", self.days_left) % {"n": self.days_left}

    @property
    def key(self) -> str:
        """Stable per thing due, for ids on the page and the reminder's dedupe key."""
        return f"{self.code}-{self.due_on.isoformat() if self.due_on else 'none'}"


def _title(municipality, code: str) -> str:
    procedure = procedure_of_record(municipality, code)
    return procedure.title if procedure else code


def _applied(submissions: list[tuple[str, object]], code: str, plan: NavigatorPlan) -> bool:
    return any(c == code and at >= plan.created_at for c, at in submissions)


def due_for(account, today: date | None = None) -> list[Due]:
    """Everything the account has due, soonest first (overdue ones at the top)."""
    today = today or timezone.localdate()
    municipality = account.municipality
    drafts = list(Draft.objects.filter(account=account, submitted_at__isnull=True)
                  .order_by("-updated_at"))
    found: list[Due] = [Due(d.procedure_code, _title(municipality, d.procedure_code), d.due_on,
                            today, draft=d) for d in drafts if d.due_on]
    by_code = {d.procedure_code: d for d in reversed(drafts)}  # the latest draft per code
    plan_ids = (Draft.objects.filter(account=account, navigator_plan__isnull=False)
                .values("navigator_plan"))
    plans = list(NavigatorPlan.objects.filter(pk__in=plan_ids).order_by("created_at"))
    if plans:
        submissions = list(Submission.objects.filter(account=account)
                           .exclude(status=Status.WITHDRAWN)
                           .values_list("procedure_code", "submitted_at"))
        seen = {d.code for d in found}  # one line per procedure, the draft's or the first plan's
        for plan in plans:
            event = navigator_services.event_of(plan).title.get(get_language() or "ja")
            dated = navigator_services.given_event_day(plan) is not None  # else no last days
            for item in navigator_services.result_for(plan, plan.municipality).items:
                deadline = item.deadline if dated else None
                if item.code in seen or (deadline is None and not item.offered):
                    continue
                if _applied(submissions, item.code, plan):
                    continue
                draft = by_code.get(item.code)
                seen.add(item.code)
                title = item.procedure.title if item.procedure else item.title
                start = ""
                if item.startable and draft is None:
                    start = f"{reverse('navigator:result', args=[plan.token])}?apply={item.code}"
                found.append(Due(item.code, title, deadline, today, draft=draft, plan=plan,
                                 start_url=start, place=item.place, event=event))
    return sorted(found, key=lambda d: (d.due_on is None, d.due_on or date.max, d.title))


# --- reminders ---------------------------------------------------------------------------------


def reminder_days() -> tuple[int, ...]:
    days = getattr(settings, "MADOGUCHI_DEADLINE_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)
    return tuple(sorted({int(d) for d in days if int(d) >= 0}))


def reminder_text() -> str:
    """「3日前と1日前」: when My Page says the mails come."""
    pieces = [pgettext("reminder", "当日") if n == 0 else ngettext("%(n)s日前", "%(n)s日前", n) % {"n": n}
              for n in sorted(reminder_days(), reverse=True)]
    if len(pieces) < 2:
        return "".join(pieces)
    # Translators: the last two of a list of reminder days, e.g. "3 days before and 1 day before".
    return _("%(first)sと%(last)s") % {"first": _("、").join(pieces[:-1]), "last": pieces[-1]}


def threshold_for(days_left: int, days: Iterable[int]) -> int | None:
    """The reminder a thing `days_left` from its last day is owed: the nearest threshold at or
    above it (2 days left with thresholds 3 and 1 → the 3-day one), None before the first
    threshold and after the last day."""
    if days_left < 0:
        return None
    reached = [n for n in days if n >= days_left]
    return min(reached) if reached else None


def _accounts_with_something_due():
    holders = Draft.objects.filter(
        Q(submitted_at__isnull=True, due_on__isnull=False) | Q(navigator_plan__isnull=False)
    ).values("account")
    return ResidentAccount.objects.filter(pk__in=holders).select_related("municipality").order_by("pk")


def send_reminders(today: date | None = None) -> int:
    """Queue the reminders owed today; returns how many were newly queued. Idempotent: each
    (account, procedure, last day, threshold) has its dedupe key."""
    today = today or timezone.localdate()
    days = reminder_days()
    queued = 0
    for account in _accounts_with_something_due():
        with translation.override(account.language or i18n.DEFAULT):  # its days and dates in the mail
            queued += _remind(account, today, days)
    return queued


def _remind(account, today: date, days) -> int:
    queued = 0
    for due in due_for(account, today):
        if due.due_on is None:
            continue
        threshold = threshold_for(due.days_left, days)
        if threshold is None:
            continue
        key = f"deadline:{account.pk}:{due.key}:{threshold}"
        if OutboxMessage.objects.filter(dedupe_key=key).exists():
            continue  # sent by an earlier run (a run at the same time: the key refuses it)
        with transaction.atomic():
            notify.tell(account.municipality, "deadline", key=key, person=account.ref, email=account.email,
                        context={"due": due, "mypage_path": reverse("applications:mypage")},
                        email_template="deadline_reminder", about=f"account:{account.pk}",
                        link=reverse("applications:mypage"), language=account.language)
        queued += 1
    return queued
