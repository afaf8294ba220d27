"""`madoguchi load_queue_demo`: デモ市's counter groups, windows, purposes and reservation slots,
and (by default) eight weeks of simulated past tickets so the congestion page has a pattern.
ja-only file: demo data (デモ市's counters and their names; translations inline for en and ja-easy,
the other languages in demo_queue_names.json)
Safe to run twice: it updates what exists and adds history only where none is recorded."""

import json
from datetime import datetime, time, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from madoguchi.core.models import Department, Municipality
from madoguchi.queueing import simulation
from madoguchi.queueing.models import (
    CounterGroup,
    ReservationSlot,
    Ticket,
    TicketStatus,
    VisitPurpose,
    Window,
)

# code, prefix, name, English, やさしい日本語, department, location, first window number, purposes
GROUPS = [
    ("jumin", "A", "住民異動", "Moving in / out", "ひっこし", "shimin", "本庁舎1階", 1, [
        ("tennyu", "転入届", "Moving in (from another city)", "ほかの まち から ひっこして きた"),
        ("tenshutsu", "転出届", "Moving out (to another city)", "ほかの まち へ ひっこす"),
        ("tenkyo", "転居届", "Moving within the city", "まち の なか で ひっこした"),
        ("card_address", "マイナンバーカードの住所変更", "Address change on My Number card", "マイナンバーカード の じゅうしょ"),
    ]),
    ("shomei", "B", "証明書", "Certificates", "しょうめいしょ", "shimin", "本庁舎1階", 8, [
        ("juminhyo", "住民票の写し", "Certificate of residence", "じゅうみんひょう"),
        ("inkan", "印鑑登録・印鑑証明", "Seal registration and certificate", "はんこ の とうろく"),
        ("koseki", "戸籍の証明", "Family register certificates", "こせき の しょうめい"),
    ]),
    ("kokuho", "C", "国保・年金", "Health insurance and pension", "けんこうほけん・ねんきん", "kokuho", "本庁舎1階", 11, [
        ("kokuho", "国民健康保険の加入・脱退", "National Health Insurance", "けんこうほけん に はいる・やめる"),
        ("nenkin", "国民年金", "National Pension", "ねんきん"),
    ]),
    ("kodomo", "D", "子育て", "Child-raising", "こそだて", "kodomo", "本庁舎2階", 13, [
        ("jido_teate", "児童手当", "Child allowance", "こども の おかね（じどうてあて）"),
        ("hoiku", "保育園の申込み", "Nursery school", "ほいくえん"),
    ]),
    ("kaigo", "E", "介護", "Long-term care", "かいご", "kaigo", "本庁舎2階", 15, [
        ("nintei", "要介護認定の申請", "Care needs certification", "かいご の にんてい"),
        ("kaigo_other", "介護保険のそのほかの手続", "Other long-term care insurance", "かいごほけん の ほか の てつづき"),
    ]),
]
SLOT_MINUTES = 30
SLOT_HOURS = [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (13, 0), (13, 30), (14, 0), (14, 30), (15, 0), (15, 30)]
RESERVABLE = {"jumin", "kokuho", "kodomo", "kaigo"}
# A weekday's share of a spring day: Monday and Friday are busiest, as cities report.
WEEKDAY_SCALE = [1.05, 0.8, 0.75, 0.8, 0.95]


class Command(BaseCommand):
    help = "Create デモ市's counter groups, windows, purposes, reservation slots and ticket history."

    def add_arguments(self, parser):
        parser.add_argument("--city", default="demo", help="municipality slug (default: demo)")
        parser.add_argument("--history-weeks", type=int, default=8, help="simulated past weeks (0: none)")
        parser.add_argument("--slot-days", type=int, default=14, help="days ahead with reservation slots")

    def handle(self, *args, **options):
        city = Municipality.objects.filter(slug=options["city"]).first()
        if city is None:
            raise CommandError("run `madoguchi load_demo` first: the municipality does not exist")
        with transaction.atomic():
            groups = self._groups(city)
            self._slots(groups, options["slot_days"])
        added = self._history(city, groups, options["history_weeks"])
        self.stdout.write(self.style.SUCCESS(
            f"queue ready for {city.name}: {len(groups)} counter groups, {added} past tickets added"))

    def _groups(self, city) -> dict[str, CounterGroup]:
        sim = {g.code: g for g in simulation.SPRING_DAY}
        more = json.loads((Path(__file__).parent / "demo_queue_names.json").read_text(encoding="utf-8"))
        groups = {}
        for order, (code, prefix, name, name_en, easy, department, location, first, purposes) in enumerate(GROUPS):
            group, _ = CounterGroup.objects.update_or_create(municipality=city, code=code, defaults={
                "prefix": prefix, "name": name, "translations": {"en": name_en, "ja-easy": easy, **more.get(name, {})}, "order": order,
                "department": Department.objects.get(municipality=city, code=department), "location": location})
            for number in range(first, first + sim[code].windows):
                Window.objects.update_or_create(group=group, number=number, defaults={"is_open": True})
            priors = {p.code: p.prior for p in sim[code].purposes}
            for p_order, (p_code, p_name, p_en, p_easy) in enumerate(purposes):
                VisitPurpose.objects.update_or_create(group=group, code=p_code, defaults={
                    "name": p_name, "translations": {"en": p_en, "ja-easy": p_easy, **more.get(p_name, {})},
                    "order": p_order,
                    "expected_minutes": priors[p_code], "reservable": code in RESERVABLE})
            groups[code] = group
        return groups

    def _slots(self, groups, days: int) -> None:
        tz = timezone.get_current_timezone()
        today = timezone.localdate()
        for offset in range(days + 1):
            day = today + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for code in RESERVABLE:
                for hour, minute in SLOT_HOURS:
                    starts = datetime.combine(day, time(hour, minute), tz)
                    ReservationSlot.objects.get_or_create(group=groups[code], starts_at=starts, defaults={
                        "ends_at": starts + timedelta(minutes=SLOT_MINUTES), "windows": 1})

    def _history(self, city, groups, weeks: int) -> int:
        """Simulated past days (weekdays), one seed per day, stored as finished tickets."""
        tz = timezone.get_current_timezone()
        today = timezone.localdate()
        purposes = {(p.group.code, p.code): p for p in VisitPurpose.objects.select_related("group")
                    .filter(group__municipality=city)}
        windows = {(w.group.code, i): w for code, g in groups.items()
                   for i, w in enumerate(Window.objects.filter(group=g).order_by("number"))}
        added = 0
        for offset in range(weeks * 7, 0, -1):
            day = today - timedelta(days=offset)
            if day.weekday() >= 5 or Ticket.objects.filter(municipality=city, service_date=day).exists():
                continue
            result = simulation.simulate(seed=day.toordinal(), warm_up=False, scale=WEEKDAY_SCALE[day.weekday()])
            numbers: dict[str, int] = {}
            tickets = []
            for visit in result.visits:
                numbers[visit.group] = numbers.get(visit.group, 0) + 1
                tickets.append(Ticket(
                    municipality=city, group=groups[visit.group], purpose=purposes[(visit.group, visit.purpose.code)],
                    service_date=day, number=numbers[visit.group], form_token=f"history:{day}:{visit.group}:{numbers[visit.group]}",
                    status=TicketStatus.ABSENT if visit.absent else TicketStatus.DONE,
                    issued_at=simulation.at(day, visit.arrival, tz), called_at=simulation.at(day, visit.called, tz),
                    started_at=None if visit.absent else simulation.at(day, visit.called + 1, tz),
                    finished_at=None if visit.absent else simulation.at(day, visit.finished, tz),
                    call_count=1, window=windows[(visit.group, visit.window)], estimate_minutes=visit.shown))
            Ticket.objects.bulk_create(tickets)
            added += len(tickets)
        return added
