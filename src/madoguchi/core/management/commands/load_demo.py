"""`madoguchi load_demo`: the demo city デモ市, its departments (names and counters in every
language from demo_departments.json) and staff. Safe to run twice.

ja-only file: demo data loader (the demo city's departments, staff and their Japanese titles).
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from madoguchi.core.models import Department, Municipality, Role, StaffMembership

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed by `make run`; demo data only

DEPARTMENTS = [
    ("shimin", "市民課", "本庁舎1階 1番窓口", "099-000-1101"),
    ("kodomo", "こども家庭課", "本庁舎2階 5番窓口", "099-000-1201"),
    ("kaigo", "介護保険課", "本庁舎2階 8番窓口", "099-000-1301"),
    ("kenko", "健康増進課", "保健センター1階", "099-000-1401"),
    ("kankyo", "環境衛生課", "本庁舎3階 12番窓口", "099-000-1501"),
    ("kokuho", "国保年金課", "本庁舎1階 3番窓口", "099-000-1601"),
    ("zeimu", "税務課", "本庁舎2階 10番窓口", "099-000-1701"),
    ("kyoiku", "学校教育課", "教育委員会 別館2階", "099-000-1801"),
    ("kaikei", "会計課", "本庁舎1階 会計窓口", "099-000-1901"),  # the books: payments/office.py
]


class Command(BaseCommand):
    help = "Create or update the demo municipality デモ市 with departments and staff logins."

    @transaction.atomic
    def handle(self, *args, **options):
        city, _ = Municipality.objects.update_or_create(
            slug="demo",
            defaults={"code": "999999", "name": "デモ市", "address": "〒999-0000 デモ市本町1番1号",
                      "contact_phone": "099-000-0000"},
        )
        users = get_user_model()
        admin, _ = users.objects.get_or_create(username="admin", defaults={"last_name": "管理者"})
        admin.is_staff = admin.is_superuser = True  # the platform operator's /admin/
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        shown = json.loads((Path(__file__).parent / "demo_departments.json").read_text(encoding="utf-8"))
        for code, name, counter, phone in DEPARTMENTS:
            translations = {language: {"name": shown[name][language], "counter": shown[counter][language]}
                            for language in shown[name]}
            department, _ = Department.objects.update_or_create(
                municipality=city, code=code,
                defaults={"name": name, "counter": counter, "phone": phone, "translations": translations},
            )
            StaffMembership.objects.get_or_create(user=admin, department=department, role=Role.ADMIN)
            for suffix, role, last_name in (("tanto", Role.CLERK, "担当"), ("kacho", Role.APPROVER, "課長")):
                user, _ = users.objects.get_or_create(
                    username=f"{code}-{suffix}", defaults={"last_name": f"{name}{last_name}"}
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
                StaffMembership.objects.get_or_create(user=user, department=department, role=role)
        self.stdout.write(self.style.SUCCESS(f"demo municipality ready: {city.name}"))
