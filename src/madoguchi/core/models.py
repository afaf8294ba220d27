"""The shared kernel: the municipality (tenant), its departments, staff roles, the audit log."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.core.fastinsert import FastInsertManager, insert_only_guard


class Municipality(models.Model):
    """A 市区町村. Every row that belongs to a city points here; queries always filter by it.

    A city is data, not a deployment (docs/operations.md): its hosts, the base of every link
    sent out (`public_url`), its look, contact, sender address and identity configuration live
    on this row and are edited by the system administrator or the city's own administrators.
    """

    slug = models.SlugField(unique=True)
    code = models.CharField(_("全国地方公共団体コード"), max_length=6, unique=True)
    name = models.CharField(max_length=100)
    name_kana = models.CharField(_("よみがな"), max_length=100, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    hostname = models.CharField(max_length=255, blank=True, help_text="Host serving this city")
    # The base of every link sent out of a request (QR codes, e-mails, the verify link on a
    # 決定通知書). Blank: https://<hostname>, or MADOGUCHI_PUBLIC_URL for a city without a host.
    public_url = models.URLField(blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    contact_email = models.EmailField(blank=True)
    address = models.CharField(max_length=200, blank=True)
    opening_hours = models.CharField(_("開庁時間"), max_length=200, blank=True)
    # The look (core/branding.py): a service name shown beside the city's name, a logo and a
    # colour taken from the デジタル庁デザインシステム's tokens (checked for AA contrast).
    service_name = models.CharField(max_length=100, blank=True)
    brand_color = models.CharField(max_length=40, blank=True, help_text="design token name")
    logo = models.BinaryField(null=True, blank=True, editable=True)
    logo_type = models.CharField(max_length=40, blank=True)
    # Mails go out from the city's own address; blank: DEFAULT_FROM_EMAIL.
    sender_email = models.EmailField(blank=True)
    sender_name = models.CharField(max_length=100, blank=True)
    # Providers configured per city: the デジタル認証アプリ client (overrides of the
    # MADOGUCHI_DIGITAL_AUTH_* settings) and the channels residents are reached through.
    identity_config = models.JSONField(default=dict, blank=True)
    channels = models.JSONField(default=list, blank=True)
    # The city's official-seal certificate (電子公印, LGPKI 職責証明書) that signs its notices:
    # where the key is (a file or a PKCS#11 token), never the key or a PIN (core/pdf/seal.py).
    seal_config = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    # A city that left: its data was exported and deleted (core/leaving.py); the row stays so
    # that its code and slug are not reused by mistake and the audit trail has its city.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The validator (core/cityconfig.py) says it in words; this holds when two creations
            # race. Another city's CityHost rows are checked by the validator only.
            models.UniqueConstraint(fields=["hostname"], condition=~models.Q(hostname=""),
                                    name="city_main_host_once"),
        ]

    def __str__(self) -> str:
        return self.name


class CityHost(models.Model):
    """Another host name serving a city (besides `Municipality.hostname`, its main one)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="hosts")
    hostname = models.CharField(max_length=255, unique=True)

    def __str__(self) -> str:
        return self.hostname


class CityAdministrator(models.Model):
    """A city's own administrator: manages its departments, staff, windows, procedure overrides
    and fees (the pages under /staff/city/). Above the cities, the system administrator is a
    Django superuser; neither sees residents through these roles."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="administered_cities")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="administrators")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "municipality"], name="city_admin_once")
        ]


class CityKey(models.Model):
    """One data key of a city's key ring (core/crypto.py), stored wrapped by a key-wrapping
    provider (settings, a file, or a KMS/HSM): the plain key never reaches the database.
    The newest active key encrypts; every key of the city decrypts what names it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="keys")
    key_id = models.CharField(max_length=32, unique=True)
    wrapped = models.BinaryField()
    wrapper = models.CharField(max_length=32, help_text="key-wrapping provider code")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class Department(models.Model):
    """A 担当課: owns procedures' cases; staff belong to departments with a role."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="departments")
    code = models.SlugField()
    name = models.CharField(max_length=100)
    counter = models.CharField(_("窓口"), max_length=100, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    # What residents read in other languages: {"en": {"name": "…", "counter": "…"}, …}, edited in
    # the admin; a missing one is shown in Japanese (a Fallback) and listed by `madoguchi check`.
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="department_code_per_city")
        ]

    def __str__(self) -> str:
        return self.name

    def shown(self, field: str) -> str:
        """`field` ("name" or "counter") in the active language, for residents' pages."""
        from django.utils import translation

        from madoguchi.core import i18n
        from madoguchi.core.i18n.content import Fallback

        text = getattr(self, field)
        language = translation.get_language()
        if not text or language in (None, i18n.DEFAULT):
            return text
        return ((self.translations or {}).get(language) or {}).get(field) or Fallback(text)

    @property
    def shown_name(self) -> str:
        return self.shown("name")

    @property
    def shown_counter(self) -> str:
        return self.shown("counter")


class Role(models.TextChoices):
    CLERK = "clerk", _("担当者")
    APPROVER = "approver", _("決裁者")
    ADMIN = "admin", _("管理者")
    ANALYST = "analyst", _("分析担当")  # reads the city's KPI pages (insights), nothing else
    # 支援措置の担当 (市民課): sees a protected resident's address with a recorded reason, marks
    # and lifts 支援措置, and decides the requests for their 住民票の写し held for it.
    SUPPORT_MEASURES = "support_measures", _("支援措置担当")


def today_in_japan() -> date:
    """Today where the city is (TIME_ZONE, Asia/Tokyo), whatever zone a request activated: a
    role ends at midnight in Japan."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def fiscal_year_end(day: date) -> date:
    """The last day of the fiscal year (年度) `day` falls in: 31 March. Staff move on 1 April
    (人事異動), so a role given during a year runs to the end of that year unless renewed."""
    return date(day.year if day.month <= 3 else day.year + 1, 3, 31)


class StaffMembership(models.Model):
    """A staff user's role in one department, for a period. Staff see only their departments'
    cases, and only while the role is in force: from `valid_from` to `valid_until`, both
    included (core.roles reads roles in force only). `valid_until` left empty becomes the end
    of the fiscal year `valid_from` falls in. A role with a `note` is a temporary exception
    (応援, 代決): the note says why, and its period is short."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    valid_from = models.DateField(default=today_in_japan, help_text="first day the role holds")
    valid_until = models.DateField(blank=True, db_index=True,
                                   help_text="last day the role holds (blank: the fiscal year's end)")
    note = models.CharField(max_length=200, blank=True,
                            help_text="why, for a temporary exception; blank for a regular role")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="one_role_once")
        ]

    def save(self, *args, **kwargs):
        if self.valid_until is None:
            self.valid_until = fiscal_year_end(self.valid_from)
        super().save(*args, **kwargs)

    def in_force(self, on: date | None = None) -> bool:
        day = on or today_in_japan()
        return self.valid_from <= day <= self.valid_until

    @property
    def is_exception(self) -> bool:
        return bool(self.note)


class ActorKind(models.TextChoices):
    """Who acted. Distinct from whom it concerns (the subject)."""

    RESIDENT = "resident", _("本人")
    PROXY = "proxy", _("代理人")
    CLERK = "clerk", _("窓口職員(本人に代わって)")
    STAFF = "staff", _("職員")
    SYSTEM = "system", _("システム")


class AuditEvent(models.Model):
    """Append-only: who did what to which record, for whom, when, from where.

    The database itself refuses UPDATE and DELETE on this table (see migration 0002).
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+",
                                     db_index=False)  # led by the indexes below
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_ref = models.CharField(max_length=64, help_text="staff:<id>, resident:<id>, system")
    subject_ref = models.CharField(max_length=64, blank=True, help_text="the resident concerned")
    action = models.CharField(max_length=64)  # indexed with the city and alone below
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = FastInsertManager()  # create() is one compiled INSERT (core/fastinsert.py)

    class Meta:
        # The admin's list shows the newest events first (by id) for the whole platform, one
        # city, one action or one kind of actor, and the last two within a city: each of these
        # is one index read backwards in order.
        indexes = [
            models.Index(fields=["municipality", "target_type", "target_id"]),
            models.Index(fields=["municipality", "id"], name="audit_city"),
            models.Index(fields=["municipality", "action", "id"], name="audit_city_action"),
            models.Index(fields=["municipality", "actor_kind", "id"], name="audit_city_actor_kind"),
            models.Index(fields=["action", "id"], name="audit_action"),
            models.Index(fields=["actor_kind", "id"], name="audit_actor_kind"),
        ]
        ordering = ["id"]

    @insert_only_guard  # so AuditEvent.objects.create() may skip it: it only inserts
    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditDay(models.Model):
    """One city's day of the audit log, sealed (core/audit_chain.py): a SHA-256 digest over every
    event of that day (Asia/Tokyo) in id order and the day before's digest. A day without events
    still gets its link, so a deleted day leaves a gap the verification names.

    The trigger of migration 0002 stops the application, not an owner who drops it; the chain
    makes such a rewrite show, and the digests handed outside (`filed_at`, `mailed_at`) make a
    chain rewritten whole show too."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    first_event_id = models.BigIntegerField(null=True, blank=True)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    count = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    previous_digest = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(auto_now_add=True)
    # When the digest was handed outside; blank: not yet (tried again on the next run).
    filed_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Two seal runs at once: the second's INSERT fails, it never writes a second link.
            models.UniqueConstraint(fields=["municipality", "day"], name="audit_day_once")
        ]
        ordering = ["municipality", "day"]
