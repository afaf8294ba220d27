"""The visitor's tablet as its own device: paired once a day with one clerk's desk, never logged in.

The clerk asks for a 6-digit pairing code on their page and types it on the tablet's public
page; the tablet then holds a random device token (its HMAC is stored in `CounterTablet`) in a
signed, HttpOnly, SameSite=Strict cookie. The token lets the tablet see one thing: its clerk's
current visit, while it waits for the visitor's check and signature, and the receipt numbers
right after. It opens no staff page (the staff pages ask for a staff login, which the tablet
never has). Codes and tokens are stored only as hashes.
"""

import secrets
import unicodedata
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.codes import keyed_digest
from madoguchi.core.models import Role
from madoguchi.core.roles import departments_of
from madoguchi.counter import services
from madoguchi.counter.models import CounterTablet, CounterVisit, TabletPairingCode, VisitStatus

CODE_DIGITS = 6
CODE_SECONDS = 300
CODE_MAX_ATTEMPTS = 5
THANKS_SECONDS = 60  # default of settings.MADOGUCHI_COUNTER_THANKS_SECONDS
SEEN_EVERY_SECONDS = 30  # last_seen_at is written at most this often (the tablet polls)


class PairingRefused(Exception):
    """Shown on the tablet as is (plain Japanese)."""


def _hash(kind: str, secret: str) -> str:
    return keyed_digest(f"counter-tablet:{kind}:{secret}")


def fingerprint(value: str) -> str:
    """An opaque short tag for what the tablet shows (no visit id leaves the server)."""
    return _hash("state", value)[:20]


def end_of_day(now=None):
    now = timezone.localtime(now or timezone.now())
    tomorrow = now.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time.min), now.tzinfo)


def start_of_day(now=None):
    return end_of_day(now) - timedelta(days=1)


def normalize_code(code: str) -> str:
    """Full-width digits, spaces and hyphens as typed on a tablet's keyboard → '123456'."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", code or "") if ch in "0123456789")


def is_clerk(user, municipality) -> bool:
    return user.is_active and departments_of(user, municipality, Role.CLERK).exists()


@transaction.atomic
def issue_code(municipality, clerk, actor: Actor) -> str:
    """A new pairing code for the clerk; the clerk's earlier unused code stops working."""
    now = timezone.now()
    TabletPairingCode.objects.filter(municipality=municipality, clerk=clerk, used_at__isnull=True,
                                     expires_at__gt=now).update(expires_at=now)
    live = set(TabletPairingCode.objects.filter(municipality=municipality, used_at__isnull=True,
                                                expires_at__gt=now).values_list("code_hash", flat=True))
    while True:  # two live codes of one city never share digits
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if _hash("code", code) not in live:
            break
    row = TabletPairingCode.objects.create(municipality=municipality, clerk=clerk,
                                           code_hash=_hash("code", code),
                                           expires_at=now + timedelta(seconds=CODE_SECONDS))
    audit.record(municipality, actor, "counter_tablet_code", "tablet_pairing_code", row.pk)
    return code


def pair(municipality, code: str, ip_address: str | None = None) -> tuple[CounterTablet, str]:
    """The code typed on the tablet → (the paired tablet, its device token for the cookie).

    A refused try is counted (committed) on every live code of the city before the error is
    raised; a code refused CODE_MAX_ATTEMPTS times is void."""
    cleaned = normalize_code(code)
    with transaction.atomic():
        now = timezone.now()
        live = list(TabletPairingCode.objects.select_for_update().filter(
            municipality=municipality, used_at__isnull=True, expires_at__gt=now))
        named = (TabletPairingCode.objects.filter(municipality=municipality, code_hash=_hash("code", cleaned))
                 .order_by("-created_at").first() if len(cleaned) == CODE_DIGITS else None)
        usable = next((c for c in live if named and c.pk == named.pk), None)
        if usable is not None and usable.attempts < CODE_MAX_ATTEMPTS:
            usable.used_at = now
            usable.save(update_fields=["used_at"])
            if is_clerk(usable.clerk, municipality):
                return _new_tablet(usable, ip_address)
            error = _("この接続コードは使えません。職員に新しい接続コードを出してもらってください。")  # the clerk lost the role meanwhile
        else:
            TabletPairingCode.objects.filter(pk__in=[c.pk for c in live]).update(attempts=F("attempts") + 1)
            error = _why_refused(named, cleaned, now)
    raise PairingRefused(error)


def _why_refused(named: TabletPairingCode | None, cleaned: str, now) -> str:
    if named is None:
        if len(cleaned) != CODE_DIGITS:
            return _("接続コードは6桁の数字です。職員の画面に表示された数字を入力してください。")
        return _("接続コードが違います。職員の画面に表示された6桁の数字を入力してください。")
    if named.used_at is not None:
        return _("この接続コードは使用済みです。職員に新しい接続コードを出してもらってください。")
    if named.expires_at <= now:
        return _("接続コードの有効期限（5分）が切れています。職員に新しい接続コードを出してもらってください。")
    return _("接続コードを何度も間違えたため使えなくなりました。職員に新しい接続コードを出してもらってください。")


def _new_tablet(code: TabletPairingCode, ip_address) -> tuple[CounterTablet, str]:
    """One tablet per clerk: pairing a new one disconnects the clerk's earlier tablet."""
    municipality, clerk = code.municipality, code.clerk
    actor = Actor.staff(clerk, ip_address)
    now = timezone.now()
    for old in CounterTablet.objects.filter(municipality=municipality, clerk=clerk, revoked_at__isnull=True,
                                            expires_at__gt=now):
        _revoke(old, actor, reason="replaced")
    token = secrets.token_urlsafe(32)
    tablet = CounterTablet.objects.create(municipality=municipality, clerk=clerk,
                                          token_hash=_hash("token", token), expires_at=end_of_day(now),
                                          last_seen_at=now)
    audit.record(municipality, actor, "counter_tablet_pair", "counter_tablet", tablet.pk, code=code.pk)
    return tablet, token


def _revoke(tablet: CounterTablet, actor: Actor, reason: str) -> None:
    tablet.revoked_at = timezone.now()
    tablet.save(update_fields=["revoked_at"])
    audit.record(tablet.municipality, actor, "counter_tablet_unpair", "counter_tablet", tablet.pk,
                 reason=reason)


def unpair(tablet: CounterTablet, actor: Actor) -> None:
    """「接続を解除」: the tablet's cookie stops working at once."""
    if tablet.revoked_at is None:
        _revoke(tablet, actor, reason="clerk")


def active_tablets(municipality, clerk):
    return CounterTablet.objects.filter(municipality=municipality, clerk=clerk, revoked_at__isnull=True,
                                        expires_at__gt=timezone.now()).order_by("-paired_at")


def tablet_for_token(municipality, token: str | None) -> CounterTablet | None:
    """The paired tablet holding `token`: not revoked, not past its day, its clerk still a clerk."""
    if not token:
        return None
    now = timezone.now()
    tablet = CounterTablet.objects.select_related("clerk", "municipality").filter(
        municipality=municipality, token_hash=_hash("token", token), revoked_at__isnull=True,
        expires_at__gt=now).first()
    if tablet is None or not is_clerk(tablet.clerk, municipality):
        return None
    if tablet.last_seen_at is None or now - tablet.last_seen_at > timedelta(seconds=SEEN_EVERY_SECONDS):
        CounterTablet.objects.filter(pk=tablet.pk).update(last_seen_at=now)
    return tablet


# What the tablet shows.
WAIT, SIGN, THANKS = "wait", "sign", "thanks"
NO_SCRIPT_REFRESH_SECONDS = 15  # the <noscript> reload while a visit is shown


def thanks_seconds() -> int:
    """How long the thanks and the receipt numbers stay after filing (the signature when the
    filing did not follow): long enough to read, short enough that the next visitor does not
    find the last family's procedures on the screen."""
    return int(getattr(settings, "MADOGUCHI_COUNTER_THANKS_SECONDS", THANKS_SECONDS))


def thanks_left(visit: CounterVisit, now=None) -> float:
    """Seconds the thanks still show for this signed visit (0 or less: the tablet waits)."""
    since = visit.finished_at or visit.signed_at
    if since is None:
        return 0
    return thanks_seconds() - ((now or timezone.now()) - since).total_seconds()


def current(tablet: CounterTablet, now=None) -> tuple[str, CounterVisit | None]:
    """(screen, visit): the clerk's latest visit of the day while it waits for the visitor's
    check and signature (SIGN), for `thanks_seconds()` after the filing (THANKS), else WAIT with
    no visit. The server's clock decides, so the poll and the no-JavaScript refresh both come
    back to WAIT on their own; starting the next visit does it sooner."""
    now = now or timezone.now()
    visit = (CounterVisit.objects.select_related("visitor", "represented", "plan")
             .filter(municipality=tablet.municipality, clerk=tablet.clerk, called_at__gte=start_of_day(now))
             .order_by("-called_at", "-pk").first())
    if visit is None:
        return WAIT, None
    if visit.status == VisitStatus.CHECKED:
        return SIGN, visit
    if visit.status in (VisitStatus.SIGNED, VisitStatus.FILED) and thanks_left(visit, now) > 0:
        return THANKS, visit
    return WAIT, None


def state_of(screen: str, visit: CounterVisit | None) -> dict:
    """What the tablet's poll compares: opaque tags, no visit id."""
    key = f"{visit.pk}:{visit.status}" if visit else ""
    return {"state": fingerprint(f"{screen}:{key}"), "visit": fingerprint(f"visit:{visit.pk}") if visit else ""}


def sign(tablet: CounterTablet, shown_visit: str, image: bytes, ip_address: str | None = None) -> CounterVisit:
    """The visitor signs on the tablet: the visit the tablet showed must still be the one
    waiting; then services.sign and services.file_visit, as the clerk's own tablet page does.
    The acts are the clerk's (their desk's device); the audit log adds which tablet."""
    screen, visit = current(tablet)
    if screen != SIGN or str(visit.public_id) != shown_visit:
        raise services.VisitRefused(_("画面が切り替わりました。表示されている内容をご確認ください。"))
    if not image:
        raise services.VisitRefused(_("署名を受け取れませんでした。もう一度署名してください。"))
    actor = Actor.staff(tablet.clerk, ip_address)
    services.sign(visit, actor, image)
    audit.record(visit.municipality, actor, "counter_tablet_sign", "counter_visit", visit.public_id,
                 tablet=tablet.pk)
    services.file_visit(visit, actor)
    return visit
