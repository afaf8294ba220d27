"""A year of a city's synthetic history, so the KPI pages of a demo have something to show.

`load(city, seed=…, days=365)` writes the rows every other app writes as residents and staff
work — online and counter submissions across the city's procedures and departments with their
timelines (受付, 差戻し with its category, resubmission, 決裁), the online forms begun and the
step the unfinished ones stopped at, fees charged and paid, 手続ナビ plans, tickets of the
counters with the waits a simulated day gives (queueing.simulation), the 書かない窓口's visits
with where each field came from, and the satisfaction survey's answers. The daily job then
builds the figures from these rows as it would from real ones (insights.daily.build_range):
the demo's figures are computed, never written by hand.

The story the year tells: online applications grow (about a quarter of all at the start,
nearly half at the end), the 書かない窓口 pre-fills more of each form and the visitor writes
less, 差戻し become rarer, decisions a little faster; March and April are the busy months.

Deterministic: one `random.Random(seed)` drives every draw (counts, times, choices, reasons)
and the public ids, so the same seed on the same day gives the same figures. Receipt numbers
and tokens are random, as in production (nothing counts them).

Fast: rows are built in memory and written with `bulk_create`, a table at a time; encrypted
columns get a token made once per distinct text (the empty note, each canned comment, each
procedure's empty answers) and reused, as every row decrypts alike.

What it leaves out: decisions' notices and PDFs, messages, attachments, the audit log and the
notices sent; a history case opens in the staff pages with empty answers.
"""

from __future__ import annotations

import math
import random
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.utils import timezone

from madoguchi.applications.models import (
    Channel,
    Draft,
    ReturnReason,
    Status,
    Submission,
    SubmissionEvent,
    SubmissionSignature,
    SubmissionVersion,
)
from madoguchi.applications.receipts import new_receipt_number
from madoguchi.catalog.schema import Channel as Offered
from madoguchi.catalog.schema import Kind
from madoguchi.catalog.selectors import procedures_for
from madoguchi.core.crypto import Sealed, encrypt_bytes, encrypt_json
from madoguchi.core.models import ActorKind, Department, Municipality, Role, StaffMembership
from madoguchi.counter.models import CounterVisit, Identified, VisitStatus
from madoguchi.feedback.models import SurveyAnswer, Touchpoint
from madoguchi.identity.models import ResidentAccount
from madoguchi.navigator.loader import events as navigator_events
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.payments.models import Attempt, AttemptState, Charge, Method
from madoguchi.queueing import simulation
from madoguchi.queueing.models import CounterGroup, Ticket, TicketStatus, VisitPurpose, Window
from madoguchi.register.models import Resident

MARK = "insights-demo"  # the idempotency key's prefix of every history case: "is it loaded?"
ACCOUNTS = 600  # residents who apply online (a pool: many apply more than once a year)
ONLINE_PER_DAY = 11.0  # online applications on a weekday at the start of the year, before the season
WEEKEND = 0.4  # a weekend day's share of a weekday's online applications
TICKET_SCALE = 0.25  # the simulated spring day (queueing.simulation) scaled to a city this size
STAFFED = 0.4  # and its windows (two at least where the spring day has two): March and April still wait
VISIT_GROUPS = {"jumin", "kokuho", "kodomo", "kaigo"}  # counters that run the 書かない窓口  # ja-only: its name
VISIT_SHARE = 0.5  # of those counters' served tickets, the visits the 書かない窓口 took
OWN_COUNTER_PER_DAY = 1.0  # counter cases a weekday of a department without a ticketed counter
# A month's traffic against the year's average: 転入・転出 in March and April, a quiet August.
SEASON = {1: 1.0, 2: 0.95, 3: 1.4, 4: 1.45, 5: 1.05, 6: 0.95, 7: 0.95, 8: 0.8, 9: 0.9, 10: 0.95,
          11: 0.9, 12: 0.85}
WEEKDAY = [1.1, 0.9, 0.85, 0.9, 1.05]  # Monday and Friday are the busiest, as cities report
REASONS_ONLINE = [(ReturnReason.MISSING, 30), (ReturnReason.ATTACHMENT, 35), (ReturnReason.IDENTITY, 8),
                  (ReturnReason.ELIGIBILITY, 17), (ReturnReason.OTHER, 10)]
REASONS_COUNTER = [(ReturnReason.MISSING, 20), (ReturnReason.ATTACHMENT, 20), (ReturnReason.IDENTITY, 15),
                   (ReturnReason.ELIGIBILITY, 35), (ReturnReason.OTHER, 10)]
NOTES = {  # what a clerk asks for, by category (no person named)
    ReturnReason.MISSING: "記入漏れがあります。該当する項目を入力して再提出してください。",  # ja-only: demo data
    ReturnReason.ATTACHMENT: "添付書類の写しが読み取れません。撮り直して再提出してください。",  # ja-only: demo data
    ReturnReason.IDENTITY: "本人確認書類の写しを添付してください。",  # ja-only: demo data
    ReturnReason.ELIGIBILITY: "要件の確認のため、必要な書類を追加で添付してください。",  # ja-only: demo data
    ReturnReason.OTHER: "内容について確認したいことがあります。メッセージをご覧ください。",  # ja-only: demo data
}
COMMENTS = [  # a few survey comments; most answers have none
    "とても分かりやすかったです。",  # ja-only: demo data
    "スマホで最後まで入力できました。",  # ja-only: demo data
    "添付書類の説明がもう少し詳しいと助かります。",  # ja-only: demo data
    "窓口で書かずに済んで助かりました。",  # ja-only: demo data
    "待ち時間が長かったです。",  # ja-only: demo data
    "Easy to follow, thank you.",
]
LANGUAGES = [("ja", 86), ("ja-easy", 4), ("en", 4), ("vi", 2), ("zh-hans", 2), ("pt-br", 1), ("ko", 1)]
ONLINE_PAYMENT = [("stripe", Method.CARD, 55), ("paypay", Method.PAYPAY, 30), ("stripe", Method.KONBINI, 15)]
COUNTER_PAYMENT = [(Method.CASH, 60), (Method.TERMINAL_CARD, 20), (Method.TERMINAL_EMONEY, 12),
                   (Method.TERMINAL_QR, 8)]


@dataclass
class Loaded:
    """What one load wrote (rows by table) and the days its figures were built for."""

    first: date
    last: date
    rows: dict[str, int] = field(default_factory=dict)
    figures: int = 0
    skipped: bool = False


def loaded(city: Municipality) -> bool:
    """Whether the city already has the history (its cases carry the MARK)."""
    return Submission.objects.filter(municipality=city, idempotency_key__startswith=f"{MARK}:").exists()


def load(city: Municipality, seed: int = 2026, days: int = 365, build: bool = True,
         now: datetime | None = None) -> Loaded:
    """Write `days` days of history ending yesterday, then build their figures. Refused when
    the city has it already (LookupError): loading twice would count everything twice.
    `now` (default: the present) is where the timelines stop: a case decided later is open."""
    if loaded(city):
        raise LookupError(f"{city.slug} already has its history")
    now = now or timezone.now()
    last = timezone.localdate(now) - timedelta(1)
    first = last - timedelta(days - 1)
    history = _History(city, random.Random(seed), first, last, now)
    with transaction.atomic(), _own_timestamps():
        history.write()
    result = Loaded(first, last, history.counts)
    if build:
        from madoguchi.insights import daily  # the job, as the nightly run calls it

        result.figures = sum(daily.build_range(city, first, last).values())
    return result


@contextmanager
def _own_timestamps():
    """Let history rows keep the times they are given. `bulk_create` runs each field's
    `pre_save`, and a field with auto_now/auto_now_add stamps the present there; Django has no
    switch to keep a given value, so the flags are lifted for the load and put back after."""
    models = (Submission, SubmissionVersion, SubmissionEvent, Draft, NavigatorPlan, Charge, Attempt,
              CounterVisit, ResidentAccount)
    lifted = [(f, f.auto_now, f.auto_now_add) for model in models for f in model._meta.concrete_fields
              if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for f, _now, _add in lifted:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in lifted:
            f.auto_now, f.auto_now_add = now, add


def _pick(rng: random.Random, weighted):
    """One value of [(value, weight), …] (or [(…, …, weight)]: the leading items)."""
    values = [w[:-1] if len(w) > 2 else w[0] for w in weighted]
    return rng.choices(values, [w[-1] for w in weighted])[0]


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method; the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass
class _Procedure:
    code: str
    department_id: int
    form_version: int
    steps: int
    fee: int
    online: bool
    application: bool
    card: bool
    median_hours: float
    weight: float
    answers: bytes


@dataclass
class _Case:
    """A case being made: its row, its timeline and what hangs on it."""

    row: Submission
    procedure: _Procedure
    events: list[tuple] = field(default_factory=list)  # (at, from, to, actor kind, actor ref, reason)
    resubmitted_at: datetime | None = None
    signed: bool = False
    draft: Draft | None = None
    payment: tuple | None = None  # (provider, method, paid_at) or None when unpaid


class _History:
    def __init__(self, city: Municipality, rng: random.Random, first: date, last: date, now: datetime):
        self.city, self.rng, self.first, self.last, self.now = city, rng, first, last, now
        self.zone = timezone.get_default_timezone()
        self.counts: dict[str, int] = {}
        self.procedures = self._procedures()
        self.staff = self._staff()
        self.empty = Sealed(encrypt_bytes(b"", city.pk))
        self.notes = {reason: Sealed(encrypt_bytes(text.encode(), city.pk)) for reason, text in NOTES.items()}
        self.comments = [Sealed(encrypt_bytes(text.encode(), city.pk)) for text in COMMENTS]
        self.receipts = set(Submission.objects.filter(municipality=city).values_list("receipt_number", flat=True))
        self.cases: list[_Case] = []
        self.drafts: list[Draft] = []
        self.surveys: list[SurveyAnswer] = []
        self.n = 0

    # --- what the city has ------------------------------------------------------------------

    def _procedures(self) -> list[_Procedure]:
        """The city's procedures with a form in one of its departments, the busiest first:
        weights fall as 1/rank (a fixed order by code, so the same seed gives the same mix)."""
        departments = dict(Department.objects.filter(municipality=self.city).values_list("code", "pk"))
        found = []
        offered = sorted((p for p in procedures_for(self.city, language="ja")
                          if p.forms and p.department in departments), key=lambda p: p.code)
        order = random.Random(len(offered)).sample(offered, len(offered))
        for rank, p in enumerate(order):
            fee = p.fee_yen or sum(line.unit_yen for line in (p.fee_rules.lines if p.fee_rules else [])
                                   if line.when is None)
            days = p.processing_days if p.processing_days is not None else (2 if fee else 10)
            found.append(_Procedure(
                code=p.code, department_id=departments[p.department], form_version=p.current_form.version,
                steps=len(p.current_form.steps), fee=fee, online=p.channel == Offered.ONLINE,
                application=p.kind == Kind.APPLICATION, card=p.card_required,
                median_hours=max(0.5, days * 24 * 0.55), weight=1 / (rank + 1),
                answers=encrypt_json({}, self.city)))
        if not found:
            raise LookupError("the city offers no procedure with a form")
        return found

    def _staff(self) -> dict:
        """Each department's clerk and approver (load_demo's *-tanto and *-kacho); any member
        where a department has no such role."""
        people: dict[int, dict[str, int]] = {}
        anyone = None
        for m in StaffMembership.objects.filter(department__municipality=self.city).order_by("pk"):
            people.setdefault(m.department_id, {}).setdefault(m.role, m.user_id)
            anyone = anyone or m.user_id
        if anyone is None:
            raise LookupError("the city has no staff")
        return {"by_department": people, "anyone": anyone}

    def _clerk(self, department_id: int) -> int:
        roles = self.staff["by_department"].get(department_id, {})
        return roles.get(Role.CLERK) or next(iter(roles.values()), self.staff["anyone"])

    def _approver(self, department_id: int) -> int:
        roles = self.staff["by_department"].get(department_id, {})
        return roles.get(Role.APPROVER) or self._clerk(department_id)

    # --- the year -----------------------------------------------------------------------------

    def write(self) -> None:
        accounts = self._accounts()
        residents = list(Resident.objects.filter(municipality=self.city).order_by("pk")
                         .values_list("pk", flat=True)[:5000])
        plans = self._plans()
        tickets, visits = self._counters()
        span = max(1, (self.last - self.first).days)
        day = self.first
        while day <= self.last:
            progress = (day - self.first).days / span
            self._online_day(day, progress, accounts, plans)
            day += timedelta(1)
        for visit in visits:
            self._counter_cases(visit, residents, accounts)
        self._own_counter_cases(residents, accounts)
        self._save(tickets, visits)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _at(self, day: date, hour: float) -> datetime:
        return datetime.combine(day, time(0), self.zone) + timedelta(hours=hour)

    def _accounts(self) -> list[ResidentAccount]:
        rows = [ResidentAccount(municipality=self.city, email=f"{MARK}-{n}@example.jp",
                                created_at=self._at(self.first, 9) - timedelta(days=self.rng.randint(1, 900)),
                                language=_pick(self.rng, LANGUAGES) if n % 10 == 0 else "")
                for n in range(ACCOUNTS)]
        ResidentAccount.objects.bulk_create(rows, batch_size=1000)
        self.counts["accounts"] = len(rows)
        return rows

    def _plans(self) -> dict[date, list[NavigatorPlan]]:
        """手続ナビ plans: a few a day, more in the moving season; some lead to an online form."""
        events = list(navigator_events())
        weights = {"moving": 40, "birth": 12, "childcare": 10, "job": 10, "marriage": 8, "death": 8,
                   "care": 8, "divorce": 4}
        rows, by_day = [], {}
        day = self.first
        while day <= self.last:
            mean = 6 * SEASON[day.month] * (0.5 if day.weekday() >= 5 else 1.0)
            for _ in range(_poisson(self.rng, mean)):
                at = self._at(day, self.rng.uniform(7, 23))
                plan = NavigatorPlan(municipality=self.city, event=_pick(self.rng, [(e, weights.get(e, 5)) for e in events]),
                                     lang=_pick(self.rng, LANGUAGES),
                                     created_at=at, updated_at=at + timedelta(minutes=self.rng.uniform(1, 15)))
                rows.append(plan)
                by_day.setdefault(day, []).append(plan)
            day += timedelta(1)
        NavigatorPlan.objects.bulk_create(rows, batch_size=1000)
        self.counts["navigator_plans"] = len(rows)
        return by_day

    # --- online --------------------------------------------------------------------------------

    def _online_day(self, day: date, progress: float, accounts, plans) -> None:
        """The day's online applications, each from a form begun a little earlier, and the
        forms begun that day and left unfinished, at the step they stopped."""
        weekday = day.weekday()
        mean = ONLINE_PER_DAY * SEASON[day.month] * (1 + 1.4 * progress) * \
            (WEEKEND if weekday >= 5 else WEEKDAY[weekday])
        online = [p for p in self.procedures if p.online]
        weights = [p.weight for p in online]
        day_plans = plans.get(day, [])
        submitted = _poisson(self.rng, mean)
        completion = 0.68 + 0.14 * progress  # forms begun that reach submission
        left = _poisson(self.rng, submitted * (1 - completion) / completion)
        for n in range(submitted + left):
            procedure = self.rng.choices(online, weights)[0]
            account = accounts[self.rng.randrange(len(accounts))]
            hour = self.rng.choice([self.rng.uniform(7, 9), self.rng.uniform(12, 13), self.rng.uniform(19, 23),
                                    self.rng.uniform(9, 19)])
            begun = self._at(day, hour)
            plan = day_plans[self.rng.randrange(len(day_plans))] if day_plans and self.rng.random() < 0.12 else None
            done = n < submitted
            minutes = self.rng.lognormvariate(math.log(9), 0.6)
            draft = Draft(municipality=self.city, account=account, procedure_code=procedure.code,
                          form_version=procedure.form_version, answers=procedure.answers, sources={},
                          step=procedure.steps if done else self._left_at(procedure.steps),
                          navigator_plan=plan, created_at=begun,
                          updated_at=begun + timedelta(minutes=minutes),
                          submitted_at=begun + timedelta(minutes=minutes) if done else None)
            self.drafts.append(draft)
            if done:
                case = self._case(procedure, draft.submitted_at, Channel.ONLINE, progress, account=account)
                case.draft = draft
                case.signed = procedure.card or self.rng.random() < 0.25 + 0.3 * progress
                if procedure.fee:
                    paid = self.rng.random() < 0.96
                    provider, method = _pick(self.rng, ONLINE_PAYMENT)
                    case.payment = (provider, method, case.row.submitted_at - timedelta(minutes=1)) if paid else None
                if self.rng.random() < 0.06:
                    self._survey(Touchpoint.ONLINE, procedure, case.row.submitted_at.astimezone(self.zone).date(),
                                 progress)

    def _left_at(self, steps: int) -> int:
        """The step an unfinished form stopped at: most leave early, some at the last step."""
        return min(steps, int(self.rng.expovariate(0.9)))

    # --- cases ----------------------------------------------------------------------------------

    def _case(self, procedure: _Procedure, at: datetime, channel: str, progress: float, *, account=None,
              resident=None, visit_ref=None) -> _Case:
        """A case and its timeline up to now: 受付, perhaps a 差戻し (with its category) and the
        resident's correction, 起案 and 決裁; decided after a time drawn for the procedure
        (a little shorter as the year goes on)."""
        self.n += 1
        online = channel == Channel.ONLINE
        applicant = (ActorKind.RESIDENT, f"resident:{account.pk}") if online else \
            (ActorKind.CLERK, f"staff:{self._clerk(procedure.department_id)}")
        row = Submission(
            public_id=self._uuid(), municipality=self.city, receipt_number=self._receipt(),
            procedure_code=procedure.code, form_version=procedure.form_version,
            department_id=procedure.department_id, account=account if online or resident is None else None,
            resident_id=None if online else resident, channel=channel, visit_ref=visit_ref,
            actor_kind=applicant[0], actor_ref=applicant[1], idempotency_key=f"{MARK}:{self.n}",
            fee_yen=procedure.fee, submitted_at=at, updated_at=at)
        case = _Case(row, procedure)
        clerk, approver = (f"staff:{self._clerk(procedure.department_id)}",
                           f"staff:{self._approver(procedure.department_id)}")
        steps = [(at, "", Status.SUBMITTED, *applicant, "")]
        hours = self.rng.lognormvariate(math.log(procedure.median_hours * (1.1 - 0.25 * progress)), 0.7)
        if not online and procedure.median_hours <= 24:
            hours = self.rng.uniform(0.1, 1.0)  # issued at the counter while the visitor waits
        accepted = at + timedelta(hours=min(hours * 0.2, self.rng.uniform(0.5, 30)))
        steps.append((accepted, Status.SUBMITTED, Status.ACCEPTED, ActorKind.STAFF, clerk, ""))
        decided = at + timedelta(hours=hours)
        returned_share = (0.10 - 0.05 * progress) if online else 0.02
        if self.rng.random() < returned_share:
            reason = _pick(self.rng, REASONS_ONLINE if online else REASONS_COUNTER)
            back = accepted + timedelta(hours=self.rng.uniform(1, 30))
            steps.append((back, Status.ACCEPTED, Status.RETURNED, ActorKind.STAFF, clerk, reason))
            if self.rng.random() < 0.1:
                steps.append((back + timedelta(days=self.rng.uniform(3, 20)), Status.RETURNED, Status.WITHDRAWN,
                              *applicant, ""))
                return self._end(case, steps)
            again = back + timedelta(hours=self.rng.lognormvariate(math.log(40), 0.8))
            case.resubmitted_at = again
            steps.append((again, Status.RETURNED, Status.SUBMITTED, *applicant, ""))
            steps.append((again + timedelta(hours=self.rng.uniform(0.5, 20)), Status.SUBMITTED, Status.ACCEPTED,
                          ActorKind.STAFF, clerk, ""))
            decided = steps[-1][0] + timedelta(hours=hours * 0.5)
        elif self.rng.random() < 0.01:
            steps.append((accepted + timedelta(days=self.rng.uniform(1, 5)), Status.ACCEPTED, Status.WITHDRAWN,
                          *applicant, ""))
            return self._end(case, steps)
        decided = max(decided, steps[-1][0] + timedelta(minutes=10))
        steps.append((decided - timedelta(minutes=self.rng.uniform(2, 9)), Status.ACCEPTED,
                      Status.PENDING_APPROVAL, ActorKind.STAFF, clerk, ""))
        outcome = Status.REJECTED if procedure.application and self.rng.random() < 0.04 else Status.APPROVED
        steps.append((decided, Status.PENDING_APPROVAL, outcome, ActorKind.STAFF, approver, ""))
        return self._end(case, steps)

    def _end(self, case: _Case, steps: list[tuple]) -> _Case:
        """Keep the steps taken by now; the case's status is the last one's."""
        taken = [s for s in steps if s[0] <= self.now]
        case.events = taken
        case.row.status = taken[-1][2]
        case.row.updated_at = taken[-1][0]
        if case.resubmitted_at and case.resubmitted_at > self.now:
            case.resubmitted_at = None
        self.cases.append(case)
        return case

    def _receipt(self) -> str:
        while True:
            number = new_receipt_number()
            if number not in self.receipts:
                self.receipts.add(number)
                return number

    # --- the counters -------------------------------------------------------------------------

    def _counters(self) -> tuple[list[Ticket], list[CounterVisit]]:
        """Each weekday without tickets yet: the simulated day (queueing.simulation, seeded from
        this history's generator), scaled to the season, stored as tickets; the 書かない窓口's
        visits from its counters' served tickets."""
        groups = {g.code: g for g in CounterGroup.objects.filter(municipality=self.city)}
        if not groups:
            return [], []
        purposes = {(p.group.code, p.code): p for p in VisitPurpose.objects.select_related("group")
                    .filter(group__municipality=self.city)}
        windows: dict[str, list[Window]] = {}
        for window in Window.objects.filter(group__municipality=self.city).select_related("group").order_by("number"):
            windows.setdefault(window.group.code, []).append(window)
        recorded: dict[date, list[Ticket]] = {}
        for ticket in (Ticket.objects.filter(municipality=self.city, service_date__gte=self.first,
                                             service_date__lte=self.last, status=TicketStatus.DONE,
                                             group__code__in=VISIT_GROUPS, counter_visit__isnull=True)
                       .select_related("group").order_by("service_date", "issued_at", "pk")):
            recorded.setdefault(ticket.service_date, []).append(ticket)
        busy = recorded.keys() | set(Ticket.objects.filter(
            municipality=self.city, service_date__gte=self.first, service_date__lte=self.last)
            .values_list("service_date", flat=True))
        staffed = tuple(replace(g, windows=min(g.windows, max(2, math.ceil(g.windows * STAFFED))))
                        for g in simulation.SPRING_DAY)
        tickets, visits = [], []
        span = max(1, (self.last - self.first).days)
        day = self.first
        while day <= self.last:
            progress = (day - self.first).days / span
            if day in busy:  # a day with tickets already (load_queue_demo's weeks): visits from a share of them
                visits.extend(self._visit(t, t.group, progress) for t in recorded.get(day, [])
                              if self.rng.random() < VISIT_SHARE * TICKET_SCALE)
                day += timedelta(1)
                continue
            if day.weekday() >= 5:
                day += timedelta(1)
                continue
            scale = TICKET_SCALE * SEASON[day.month] * WEEKDAY[day.weekday()]
            result = simulation.simulate(seed=self.rng.getrandbits(32), groups=staffed, warm_up=False,
                                         scale=scale)
            numbers: dict[str, int] = {}
            for v in result.visits:
                group, purpose = groups.get(v.group), purposes.get((v.group, v.purpose.code))
                if group is None or purpose is None or not windows.get(v.group):
                    continue
                numbers[v.group] = numbers.get(v.group, 0) + 1
                at = simulation.at  # a simulated minute of the day as an aware datetime
                ticket = Ticket(
                    municipality=self.city, group=group, purpose=purpose, service_date=day, number=numbers[v.group],
                    form_token=f"{MARK}:{day}:{v.group}:{numbers[v.group]}",
                    status=TicketStatus.ABSENT if v.absent else TicketStatus.DONE,
                    issued_at=at(day, v.arrival, self.zone), called_at=at(day, v.called, self.zone),
                    started_at=None if v.absent else at(day, v.called + 1, self.zone),
                    finished_at=None if v.absent else at(day, v.finished, self.zone), call_count=1,
                    window=windows[v.group][v.window % len(windows[v.group])], estimate_minutes=v.shown)
                tickets.append(ticket)
                if not v.absent and v.group in VISIT_GROUPS and self.rng.random() < VISIT_SHARE:
                    visits.append(self._visit(ticket, group, progress))
            day += timedelta(1)
        return tickets, visits

    def _visit(self, ticket: Ticket, group: CounterGroup, progress: float) -> CounterVisit:
        """A 書かない窓口 visit at the ticket's window: more pre-filled fields, fewer written
        by the visitor as the year goes on (the counter's roll-out)."""
        fields = max(6, int(self.rng.gauss(24, 7)))
        prefilled = int(fields * min(0.95, max(0.1, self.rng.gauss(0.42 + 0.35 * progress, 0.1))))
        written = int((fields - prefilled) * max(0.0, 0.6 - 0.55 * progress) * self.rng.random())
        seconds = int((ticket.finished_at - ticket.started_at).total_seconds())
        by_card = self.rng.random() < 0.45 + 0.3 * progress
        return CounterVisit(
            public_id=self._uuid(), municipality=self.city, clerk_id=self._clerk(group.department_id),
            identified_by=Identified.CARD if by_card else Identified.KANA, ticket=ticket,
            status=VisitStatus.FILED, called_at=ticket.called_at, signed_at=ticket.finished_at,
            finished_at=ticket.finished_at, fields_prefilled=prefilled, fields_written_by_visitor=written,
            fields_typed_by_clerk=fields - prefilled - written, duration_seconds=seconds)

    def _counter_cases(self, visit: CounterVisit, residents: list[int], accounts) -> None:
        """The cases a visit filed (one, sometimes two) in the visit's department."""
        department = visit.ticket.group.department_id
        own = [p for p in self.procedures if p.department_id == department]
        if not own:
            return
        span = max(1, (self.last - self.first).days)
        day = visit.called_at.astimezone(self.zone).date()
        progress = (day - self.first).days / span
        procedures = self.rng.choices(own, [p.weight for p in own], k=1 + (self.rng.random() < 0.15))
        for procedure in procedures:
            case = self._case(procedure, visit.finished_at, Channel.COUNTER, progress,
                              account=accounts[self.rng.randrange(len(accounts))],
                              resident=residents[self.rng.randrange(len(residents))] if residents else None,
                              visit_ref=visit.public_id)
            if procedure.fee:
                method = _pick(self.rng, COUNTER_PAYMENT)
                case.payment = ("counter", method, visit.finished_at)
        if self.rng.random() < 0.12:
            self._survey(Touchpoint.COUNTER, procedures[0], day, progress)

    def _own_counter_cases(self, residents: list[int], accounts) -> None:
        """Departments without a ticketed counter take their cases at their own window."""
        ticketed = set(CounterGroup.objects.filter(municipality=self.city).values_list("department_id", flat=True))
        own = [p for p in self.procedures if p.department_id not in ticketed]
        if not own:
            return
        span = max(1, (self.last - self.first).days)
        day = self.first
        while day <= self.last:
            if day.weekday() < 5:
                progress = (day - self.first).days / span
                for _ in range(_poisson(self.rng, OWN_COUNTER_PER_DAY * SEASON[day.month] * len(
                        {p.department_id for p in own}) / 2)):
                    procedure = self.rng.choices(own, [p.weight for p in own])[0]
                    at = self._at(day, self.rng.uniform(8.5, 17))
                    case = self._case(procedure, at, Channel.COUNTER, progress,
                                      account=accounts[self.rng.randrange(len(accounts))],
                                      resident=residents[self.rng.randrange(len(residents))] if residents else None,
                                      visit_ref=self._uuid())
                    if procedure.fee:
                        case.payment = ("counter", _pick(self.rng, COUNTER_PAYMENT), at)
            day += timedelta(1)

    # --- the survey ---------------------------------------------------------------------------

    def _survey(self, touchpoint: str, procedure: _Procedure, day: date, progress: float) -> None:
        good = 0.66 + 0.12 * progress
        draw = self.rng.random()
        rating = 5 if draw < good * 0.45 else 4 if draw < good else 3 if draw < good + 0.18 else \
            2 if draw < good + 0.27 else 1
        comment = self.comments[self.rng.randrange(len(self.comments))] if self.rng.random() < 0.15 else self.empty
        self.surveys.append(SurveyAnswer(
            municipality=self.city, touchpoint=touchpoint, procedure_code=procedure.code,
            department_id=procedure.department_id, language=_pick(self.rng, LANGUAGES), rating=rating,
            comment=comment, answered_on=day))

    # --- writing ------------------------------------------------------------------------------

    def _save(self, tickets: list[Ticket], visits: list[CounterVisit]) -> None:
        batch = 2000
        Ticket.objects.bulk_create(tickets, batch_size=batch)
        CounterVisit.objects.bulk_create(visits, batch_size=batch)
        Draft.objects.bulk_create(self.drafts, batch_size=batch)
        for case in self.cases:
            if case.draft is not None:
                case.row.draft = case.draft
        Submission.objects.bulk_create([c.row for c in self.cases], batch_size=batch)
        versions, later = [], []
        for case in self.cases:
            row = case.row
            versions.append(SubmissionVersion(submission=row, number=1, form_version=row.form_version,
                                              answers=case.procedure.answers, sources={}, actor_kind=row.actor_kind,
                                              actor_ref=row.actor_ref, created_at=row.submitted_at))
            if case.resubmitted_at:
                later.append(SubmissionVersion(submission=row, number=2, form_version=row.form_version,
                                               answers=case.procedure.answers, sources={},
                                               actor_kind=row.actor_kind, actor_ref=row.actor_ref,
                                               created_at=case.resubmitted_at))
        SubmissionVersion.objects.bulk_create(versions + later, batch_size=batch)
        self._signatures([v for v, case in zip(versions, self.cases, strict=True) if case.signed])
        SubmissionEvent.objects.bulk_create(
            [SubmissionEvent(submission=case.row, at=at, from_status=before, to_status=to, actor_kind=kind,
                             actor_ref=ref, reason=reason, note=self.notes[reason] if reason else self.empty)
             for case in self.cases for at, before, to, kind, ref, reason in case.events], batch_size=batch)
        self._charges()
        SurveyAnswer.objects.bulk_create(self.surveys, batch_size=batch)
        self.counts.update(tickets=len(tickets), visits=len(visits), drafts=len(self.drafts),
                           submissions=len(self.cases), versions=len(versions) + len(later),
                           events=sum(len(c.events) for c in self.cases), survey_answers=len(self.surveys))

    def _signatures(self, versions: list[SubmissionVersion]) -> None:
        """Signed online cases: one test certificate (identity.jpki's test CA, as the demo's
        card is) stored once encrypted and shared, so a case page reads a real certificate."""
        if not versions:
            return
        from madoguchi.identity.jpki.ca import TestCA
        from madoguchi.identity.jpki.testing import make_card, sample_person

        with tempfile.TemporaryDirectory(prefix="madoguchi-demo-ca-") as directory:
            card = make_card(TestCA.create(directory), sample_person())
        der = card.signing_cert.public_bytes(serialization.Encoding.DER)
        certificate = encrypt_bytes(der, self.city)
        serial, issuer = format(card.signing_cert.serial_number, "x"), card.signing_cert.issuer.rfc4514_string()
        SubmissionSignature.objects.bulk_create(
            [SubmissionSignature(version=v, certificate=certificate, signature="", digest="0" * 64, serial=serial,
                                 issuer=issuer[:255], verified_at=v.created_at) for v in versions], batch_size=2000)
        self.counts["signatures"] = len(versions)

    def _charges(self) -> None:
        """A charge for each case with a fee, paid (an attempt that succeeded) unless the
        resident never paid; the charge names the attempt that paid it."""
        charges, attempts = [], []
        for case in self.cases:
            if not case.procedure.fee:
                continue
            online = case.row.channel == Channel.ONLINE
            created = case.row.submitted_at - timedelta(minutes=2 if online else 0)
            charge = Charge(public_id=self._uuid(), municipality=self.city, submission=case.row,
                            kind=Charge.Kind.AT_SUBMIT if online else Charge.Kind.COUNTER,
                            amount_yen=case.procedure.fee, created_at=created,
                            status=Charge.Status.PAID if case.payment else Charge.Status.DUE)
            charges.append(charge)
            if case.payment:
                provider, method, paid_at = case.payment
                charge.paid_at = paid_at
                attempts.append(Attempt(public_id=self._uuid(), charge=charge, provider=provider, method=method,
                                        idempotency_key=f"{MARK}:{case.row.idempotency_key}:{len(attempts)}",
                                        state=AttemptState.SUCCEEDED, amount_yen=charge.amount_yen,
                                        created_at=created, finished_at=paid_at))
        Charge.objects.bulk_create(charges, batch_size=2000)
        Attempt.objects.bulk_create(attempts, batch_size=2000)
        for attempt in attempts:
            attempt.charge.paid_attempt = attempt
        Charge.objects.bulk_update([a.charge for a in attempts], ["paid_attempt"], batch_size=1000)
        self.counts.update(charges=len(charges), payments=len(attempts))

