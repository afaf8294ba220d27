"""`madoguchi load_demo`: the demo cities, their departments (names and counters in every
language from demo_departments.json / town_departments.json), staff and city administrators.
Safe to run twice.
ja-only file: demo data loader (the demo cities, their departments, staff and Japanese titles).

Two cities show a shared deployment (共同利用): デモ市 (slug demo, the default city, so the tests'
`testserver` and http://127.0.0.1 serve it) and デモ町 (slug town, on town.localhost), each with
its own name, colour, departments, staff, administrator and procedures (the town's overrides are
in catalog/municipalities/town/). `--port` puts each city loaded on http://<slug>.localhost:PORT
(its hostname and public_url), as `make run` does; without it デモ市 keeps no host of its own.

Their codes are in the test range: 99 is no prefecture, so no real 全国地方公共団体コード can
collide with them (and no postal code names them: the portal finds them by name or reading).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from madoguchi.core.models import CityAdministrator, Department, Municipality, Role, StaffMembership

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed by `make run`; demo data only
HERE = Path(__file__).parent

DEPARTMENTS = [
    ("shimin", "市民課", "本庁舎1階 1番窓口", "099-000-1101"),
    ("kodomo", "こども家庭課", "本庁舎2階 5番窓口", "099-000-1201"),
    ("kaigo", "介護保険課", "本庁舎2階 8番窓口", "099-000-1301"),
    ("fukushi", "障害福祉課", "本庁舎2階 7番窓口", "099-000-1351"),
    ("kenko", "健康増進課", "保健センター1階", "099-000-1401"),
    ("kankyo", "環境衛生課", "本庁舎3階 12番窓口", "099-000-1501"),
    ("kokuho", "国保年金課", "本庁舎1階 3番窓口", "099-000-1601"),
    ("zeimu", "税務課", "本庁舎2階 10番窓口", "099-000-1701"),
    ("kyoiku", "学校教育課", "教育委員会 別館2階", "099-000-1801"),
    ("kaikei", "会計課", "本庁舎1階 会計窓口", "099-000-1901"),  # the books: payments/office.py
]
# The same codes as デモ市 (the national procedures name their department by code), a town's
# own names and counters.
TOWN_DEPARTMENTS = [
    ("shimin", "町民課", "役場1階 町民窓口", "099-100-1101"),
    ("kodomo", "子育て支援課", "役場1階 子育て窓口", "099-100-1201"),
    ("kaigo", "福祉課", "役場1階 福祉窓口", "099-100-1301"),
    ("fukushi", "福祉課 障害福祉係", "役場1階 福祉窓口", "099-100-1351"),
    ("kenko", "保健センター", "保健センター1階", "099-100-1401"),
    ("kankyo", "生活環境課", "役場2階 環境窓口", "099-100-1501"),
    ("kokuho", "保険年金課", "役場1階 保険窓口", "099-100-1601"),
    ("zeimu", "税務課", "役場2階 税務窓口", "099-100-1701"),
    ("kyoiku", "教育委員会", "役場3階 教育委員会", "099-100-1801"),
    ("kaikei", "会計室", "役場1階 会計窓口", "099-100-1901"),
]


@dataclass(frozen=True)
class DemoCity:
    slug: str
    fields: dict  # Municipality fields
    departments: list
    names_file: str  # translations of department names and counters
    staff_prefix: str  # usernames: <prefix><department>-tanto / -kacho
    administrator: tuple[str, str]  # the city administrator's username and name


CITIES = {
    "demo": DemoCity(
        slug="demo",
        fields={"code": "999999", "name": "デモ市", "name_kana": "でもし",
                "address": "〒999-0000 デモ市本町1番1号", "contact_phone": "099-000-0000",
                "brand_color": "blue-900"},
        departments=DEPARTMENTS, names_file="demo_departments.json", staff_prefix="",
        administrator=("city-admin", "デモ市管理者"),
    ),
    "town": DemoCity(
        slug="town",
        fields={"code": "999989", "name": "デモ町", "name_kana": "でもちょう",
                "hostname": "town.localhost",
                "address": "〒999-1000 デモ町役場通り1番地", "contact_phone": "099-100-0000",
                "contact_email": "jumin@town.example.jp", "opening_hours": "平日 8:30〜17:15",
                "brand_color": "green-800", "service_name": "まちの窓口",
                "sender_email": "denshi-shinsei@town.example.jp", "sender_name": "デモ町 電子申請"},
        departments=TOWN_DEPARTMENTS, names_file="town_departments.json", staff_prefix="town-",
        administrator=("town-admin", "デモ町管理者"),
    ),
}


class Command(BaseCommand):
    help = "Create or update the demo cities (デモ市, デモ町) with departments, staff and administrators."

    def add_arguments(self, parser):
        parser.add_argument("--city", choices=[*CITIES, "all"], default="demo",
                            help="which demo city to load (default: demo, デモ市)")
        parser.add_argument("--port", type=int, default=None,
                            help="serve each city loaded on http://<slug>.localhost:PORT "
                                 "(its hostname and public_url)")

    @transaction.atomic
    def handle(self, *args, **options):
        chosen = list(CITIES) if options["city"] == "all" else [options["city"]]
        for slug in chosen:
            city = self._city(CITIES[slug], options["port"])
            self.stdout.write(self.style.SUCCESS(f"demo municipality ready: {city.name}"))

    def _city(self, demo: DemoCity, port: int | None) -> Municipality:
        fields = dict(demo.fields)
        if port:
            fields["hostname"] = f"{demo.slug}.localhost"
            fields["public_url"] = f"http://{demo.slug}.localhost:{port}"
        city, _ = Municipality.objects.update_or_create(slug=demo.slug, defaults=fields)
        users = get_user_model()
        platform_admin = None
        if demo.slug == "demo":  # the platform operator's /admin/, as before there were two cities
            platform_admin, _ = users.objects.get_or_create(username="admin", defaults={"last_name": "管理者"})
            platform_admin.is_staff = platform_admin.is_superuser = True
            platform_admin.set_password(DEMO_PASSWORD)
            platform_admin.save()
        shown = json.loads((HERE / demo.names_file).read_text(encoding="utf-8"))
        for code, name, counter, phone in demo.departments:
            translations = {language: {"name": shown[name][language], "counter": shown[counter][language]}
                            for language in shown[name]}
            department, _ = Department.objects.update_or_create(
                municipality=city, code=code,
                defaults={"name": name, "counter": counter, "phone": phone, "translations": translations},
            )
            if platform_admin is not None:
                StaffMembership.objects.get_or_create(user=platform_admin, department=department, role=Role.ADMIN)
            for suffix, role, last_name in (("tanto", Role.CLERK, "担当"), ("kacho", Role.APPROVER, "課長")):
                user = self._user(f"{demo.staff_prefix}{code}-{suffix}", f"{name}{last_name}")
                StaffMembership.objects.get_or_create(user=user, department=department, role=role)
        # The city's 支援措置担当 in 市民課: a clerk who also sees protected residents' addresses
        # with a reason, marks and lifts 支援措置, and decides the requests held for them.
        registry = Department.objects.filter(municipality=city, code="shimin").first()
        if registry is not None:
            support = self._user(f"{demo.staff_prefix}shimin-shien", f"{registry.name}支援措置担当")
            for role in (Role.CLERK, Role.SUPPORT_MEASURES):
                StaffMembership.objects.get_or_create(user=support, department=registry, role=role)
        # The city's 分析担当 (reads the figures at /staff/insights/, no case): one membership is
        # enough, the figures are the whole city's.
        analyst = self._user(f"{demo.staff_prefix}bunseki", f"{city.name}分析担当")
        StaffMembership.objects.get_or_create(user=analyst, department=department, role=Role.ANALYST)
        username, last_name = demo.administrator
        CityAdministrator.objects.get_or_create(user=self._user(username, last_name), municipality=city)
        return city

    def _user(self, username: str, last_name: str):
        user, _ = get_user_model().objects.get_or_create(username=username, defaults={"last_name": last_name})
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user
