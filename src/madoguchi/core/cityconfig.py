"""A city's settings, validated: one validator per rule, used by `madoguchi city`, the system
administrator's pages (/system/) and the Django admin alike.

Each `validate_*` function raises Django's ValidationError with a plain message (shown next to
its field on a page, printed by the command) and returns the value as it is stored (host names
lower-cased, a code's digits). `CityForm` puts them together with the rules that need more
than one field (the public URL and the デジタル認証アプリ redirect URI must be on one of the
city's own hosts) and those that need the database (a host serves one city only).

The 全国地方公共団体コード is checked by its check digit (総務省「全国地方公共団体コード」:
weights 6, 5, 4, 3, 2 on the first five digits, the sum's remainder r mod 11, check digit
(11 − r) mod 10; e.g. 131016 千代田区, 462012 鹿児島市, 011002 札幌市, 472018 那覇市) and its
first two digits, the prefecture (JIS X 0401, 01–47). Written here because no maintained
library checks it. **Test codes**: no prefecture is numbered 99, so a code beginning with 99
can never be a real one; such codes are accepted without a check digit, for demo and training
cities (the demo city デモ市 is 999999) and shown as test cities on the system pages.
"""

import contextlib
import json
import re
import unicodedata
import urllib.parse

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator, EmailValidator
from django.http.request import validate_host
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.core import branding, identity_keys
from madoguchi.core.japanese.errors import JapaneseInputError
from madoguchi.core.japanese.phone import format_phone
from madoguchi.core.models import CityHost, Municipality
from madoguchi.core.pdf import seal

# JIS X 0401: the prefecture of a code's first two digits.
PREFECTURES = (  # ja-only: proper names of the 47 prefectures (JIS X 0401)
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",  # ja-only
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",  # ja-only
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",  # ja-only
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",  # ja-only
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",  # ja-only
    "鹿児島県", "沖縄県",  # ja-only
)
TEST_CODE_PREFIX = "99"
_WEIGHTS = (6, 5, 4, 3, 2)

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?")

# The デジタル認証アプリ settings a city may set for itself (identity_config), each replacing one
# MADOGUCHI_DIGITAL_AUTH_* setting. The provider itself (issuer, discovery, signing API, scopes,
# acr_values, timeout) is the deployment's: every city talks to the same デジタル認証アプリ. No
# secret is stored in the database: keys and a client secret are named by a file on the server.
IDENTITY_KEYS = identity_keys.IDENTITY_KEYS
# identity.oidc.config.AUTH_METHODS (the core imports nothing above it; a test keeps them equal)
AUTH_METHODS = ("private_key_jwt", "client_secret_basic")
CLIENT_ID = re.compile(r"[0-9a-zA-Z]{1,255}")  # as identity.oidc.config.CLIENT_ID

# The ways a city is reached on this deployment; an empty list means all of them.
CHANNELS = {
    "online": gettext_lazy("電子申請"),
    "counter": gettext_lazy("書かない窓口"),
    "queue": gettext_lazy("待たない窓口（発券・予約）"),
    "email": gettext_lazy("メールでのお知らせ"),
    "line": gettext_lazy("LINEでのお知らせ"),
    "sms": gettext_lazy("SMSでのお知らせ"),
    "push": gettext_lazy("プッシュ通知"),
}

_hostname = DomainNameValidator(accept_idna=False)


def _text_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return _("%(n)s文字以内で入力してください。") % {"n": limit}
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        return _("改行や制御文字は使えません。")
    return None


def check_digit(first_five: str) -> int:
    """The sixth digit of a 全国地方公共団体コード whose first five are these."""
    remainder = sum(int(d) * w for d, w in zip(first_five, _WEIGHTS, strict=True)) % 11
    return (11 - remainder) % 10


def is_test_code(code: str) -> bool:
    """A code no real city can have (prefecture 99): a demo or training city."""
    return code.startswith(TEST_CODE_PREFIX)


def validate_code(value) -> str:
    """6 digits (full-width accepted), a real prefecture, the right check digit; or a test code."""
    code = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not re.fullmatch(r"[0-9]{6}", code):
        raise ValidationError(_("全国地方公共団体コードは6桁の数字で入力してください（例: 462012）。"), code="code")
    if is_test_code(code):
        return code
    if not 1 <= int(code[:2]) <= len(PREFECTURES):
        raise ValidationError(_("全国地方公共団体コードの上2桁は都道府県の番号（01〜47）です。"), code="code")
    expected = check_digit(code[:5])
    if int(code[5]) != expected:
        raise ValidationError(
            _("全国地方公共団体コードの検査数字（6桁目）が合いません。上5桁が %(first)s なら %(code)s です。")
            % {"first": code[:5], "code": f"{code[:5]}{expected}"}, code="code")
    return code


def validate_prefecture(value, code: str = "") -> str:
    """One of the 47 prefectures, and the one the code names (test codes: any)."""
    name = str(value or "").strip()
    if not name:
        return ""
    if name not in PREFECTURES:
        raise ValidationError(_("都道府県名を正しく入力してください（例: 鹿児島県）。"), code="prefecture")
    if code and not is_test_code(code) and code[:2].isdigit() and 1 <= int(code[:2]) <= len(PREFECTURES) \
            and PREFECTURES[int(code[:2]) - 1] != name:
        raise ValidationError(_("全国地方公共団体コード %(code)s は %(prefecture)s の団体です。")
                              % {"code": code, "prefecture": PREFECTURES[int(code[:2]) - 1]}, code="prefecture")
    return name


def validate_slug(value) -> str:
    """The city's short name in paths and folders (catalog/municipalities/<slug>/)."""
    slug = str(value or "").strip()
    if not SLUG.fullmatch(slug):
        raise ValidationError(_("英小文字・数字・ハイフンで50文字以内にしてください（例: kagoshima）。"), code="slug")
    return slug


def normalize_host(value) -> str:
    """A host name as the middleware compares it: lower case, no trailing dot, an IDN in its
    ASCII (punycode) form as browsers send it in the Host header."""
    host = unicodedata.normalize("NFKC", str(value or "")).strip().rstrip(".").lower()
    if host and not host.isascii():
        with contextlib.suppress(UnicodeError):  # else refused by validate_hostname
            host = host.encode("idna").decode("ascii")
    return host


def _allowed(host: str) -> bool:
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:  # as Django's HttpRequest.get_host
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return validate_host(host, allowed)


def validate_hostname(value, city: Municipality | None = None) -> str:
    """A host name (no scheme, port or path) this deployment accepts (ALLOWED_HOSTS), that is
    no other city's, not a host of a city that left, and not the prefecture portal's."""
    host = normalize_host(value)
    if not host:
        raise ValidationError(_("ホスト名を入力してください（例: www.city.example.lg.jp）。"), code="host")
    if any(ch in host for ch in "/:@ ") or len(host) > 253:
        raise ValidationError(_("ホスト名だけを入力してください（https:// やポート番号、パスは付けません）。"),
                              code="host")
    try:
        _hostname(host)
    except ValidationError:
        raise ValidationError(_("ホスト名として正しくありません: %(host)s") % {"host": host}, code="host") from None
    if host in {normalize_host(h) for h in getattr(settings, "MADOGUCHI_PORTAL_HOSTS", ())}:
        raise ValidationError(_("%(host)s は都道府県ポータルのホストです。") % {"host": host}, code="host")
    owner = owner_of_host(host)
    if owner is not None and (city is None or owner.pk != city.pk):
        if owner.closed_at is not None:
            raise ValidationError(_("%(host)s は利用を終えた自治体（%(city)s）のホストでした。別のホスト名にしてください。")
                                  % {"host": host, "city": owner.name}, code="host_closed")
        raise ValidationError(_("%(host)s はすでに %(city)s のホストです。") % {"host": host, "city": owner.name},
                              code="host_taken")
    if not _allowed(host):
        raise ValidationError(_("%(host)s はこのサーバーの ALLOWED_HOSTS にありません。先に設定に加えてください。")
                              % {"host": host}, code="host_not_allowed")
    return host


def owner_of_host(host: str) -> Municipality | None:
    """The city (open or closed) that has this host, main or other."""
    host = normalize_host(host)
    found = Municipality.objects.filter(hostname=host).first()
    if found is None:
        extra = CityHost.objects.filter(hostname=host).select_related("municipality").first()
        found = extra.municipality if extra is not None else None
    return found


def _local(hostname: str) -> bool:
    return hostname == "localhost" or hostname.endswith(".localhost") or hostname in ("127.0.0.1", "::1")


def validate_public_url(value, hosts: list[str] | tuple[str, ...] = ()) -> str:
    """The base of every link sent out (QR codes, e-mails): http(s), no query or fragment;
    https unless DEBUG or a *.localhost host; on one of the city's hosts when it has any."""
    url = str(value or "").strip()
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    try:
        hostname, _port = parts.hostname, parts.port
    except ValueError:
        hostname = None
    if parts.scheme not in ("http", "https") or not hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise ValidationError(_("http:// または https:// で始まる URL を入力してください（例: https://www.city.example.lg.jp）。"),
                              code="public_url")
    if parts.scheme != "https" and not settings.DEBUG and not _local(hostname):
        raise ValidationError(_("公開 URL は https にしてください（http は開発用の *.localhost だけ）。"),
                              code="public_url_https")
    if hosts and hostname not in hosts:
        raise ValidationError(_("公開 URL のホスト %(host)s はこの自治体のホスト名のどれでもありません。")
                              % {"host": hostname}, code="public_url_host")
    return url.rstrip("/")


def validate_email_address(value) -> str:
    address = str(value or "").strip()
    if not address:
        return ""
    try:
        EmailValidator()(address)
    except ValidationError:
        raise ValidationError(_("メールアドレスの形になっていません（例: info@city.example.lg.jp）。"),
                              code="email") from None
    return address


def validate_phone_number(value) -> str:
    """A Japanese number with its area code, stored hyphenated (099-224-1111)."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        return format_phone(text)
    except JapaneseInputError as exc:
        raise ValidationError(str(exc), code="phone") from None


def validate_line(value, limit: int) -> str:
    """One line of text shown to residents (name, address, opening hours)."""
    text = str(value or "").strip()
    problem = _text_problem(text, limit)
    if problem:
        raise ValidationError(problem, code="text")
    return text


def validate_opening_hours(value) -> str:
    """開庁時間 as residents read it (平日 8:30〜17:15), one line, and it names a time."""
    text = validate_line(value, 200)
    if text and not re.search(r"[0-9０-９]", text):  # ja-only: a regex (digits, full-width too)
        raise ValidationError(_("開庁時間は時刻を含めて書いてください（例: 平日 8:30〜17:15）。"), code="hours")
    return text


def validate_identity_config(value, hosts: list[str] | tuple[str, ...] = ()) -> dict:
    """The city's own デジタル認証アプリ client: only the keys of IDENTITY_KEYS, strings (and
    `enabled` a boolean); the redirect URI on one of the city's hosts; files named by absolute
    paths. Whether the files load and the whole client is usable is the identity provider's
    `check_config` (shown on the city's system page)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise ValidationError(_("JSON のオブジェクトで入力してください。"), code="identity") from None
    if not isinstance(value, dict):
        raise ValidationError(_("JSON のオブジェクトで入力してください。"), code="identity")
    unknown = sorted(set(value) - set(IDENTITY_KEYS))
    if unknown:
        raise ValidationError(_("設定できない項目です: %(keys)s（設定できるのは %(allowed)s）")
                              % {"keys": ", ".join(unknown), "allowed": ", ".join(IDENTITY_KEYS)}, code="identity")
    cleaned = {}
    for key, item in value.items():
        if key == "enabled":
            if not isinstance(item, bool):
                raise ValidationError(_("enabled は true か false にしてください。"), code="identity")
            cleaned[key] = item
            continue
        if not isinstance(item, str):
            raise ValidationError(_("%(key)s は文字列にしてください。") % {"key": key}, code="identity")
        item = item.strip()
        if not item:
            continue
        if key == "client_id" and not CLIENT_ID.fullmatch(item):
            raise ValidationError(_("client_id は発行された英数字（255文字まで）にしてください。"), code="identity")
        if key == "client_auth_method" and item not in AUTH_METHODS:
            raise ValidationError(_("client_auth_method は %(methods)s のどれかにしてください。")
                                  % {"methods": ", ".join(AUTH_METHODS)}, code="identity")
        if key.endswith("_file") and not item.startswith("/"):
            raise ValidationError(_("%(key)s はサーバー上のファイルの絶対パスにしてください。") % {"key": key},
                                  code="identity")
        if key == "redirect_uri":
            parts = urllib.parse.urlsplit(item)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
                raise ValidationError(_("redirect_uri は https の URL にしてください。"), code="identity")
            if parts.scheme != "https" and not _local(parts.hostname):
                raise ValidationError(_("redirect_uri は https の URL にしてください。"), code="identity")
            if hosts and parts.hostname not in hosts:
                raise ValidationError(_("redirect_uri のホスト %(host)s はこの自治体のホスト名のどれでもありません。")
                                      % {"host": parts.hostname}, code="identity")
        if len(item) > 1000 or any(unicodedata.category(ch).startswith("C") for ch in item):
            raise ValidationError(_("%(key)s の値が正しくありません。") % {"key": key}, code="identity")
        cleaned[key] = item
    return cleaned


def validate_seal_config(value) -> dict:
    """Where the city's seal (電子公印) is: one of core.pdf.seal.KINDS with only its keys (KEYS),
    files named by absolute paths, never a key, passphrase or PIN itself (those stay in files on
    the server, named by passphrase_file / pin_file). Whether the files load and the certificate
    is a trusted seal is `core.pdf.seal.check` (shown on the city's system page)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise ValidationError(_("JSON のオブジェクトで入力してください。"), code="seal") from None
    if not isinstance(value, dict):
        raise ValidationError(_("JSON のオブジェクトで入力してください。"), code="seal")
    if not value:
        return {}
    kind = value.get("kind")
    if kind not in seal.KINDS:
        raise ValidationError(_("kind は %(kinds)s のどれかにしてください。") % {"kinds": ", ".join(seal.KINDS)},
                              code="seal")
    secret = sorted(k for k in value if k in ("pin", "passphrase", "password", "user_pin", "private_key"))
    if secret:
        raise ValidationError(_("PIN・パスフレーズ・鍵そのものは設定に書けません（%(keys)s）。サーバー上のファイルに置き、"
                                "pin_file / passphrase_file でそのパスを指定してください。") % {"keys": ", ".join(secret)},
                              code="seal_secret")
    unknown = sorted(set(value) - set(seal.KEYS[kind]))
    if unknown:
        raise ValidationError(_("設定できない項目です: %(keys)s（設定できるのは %(allowed)s）")
                              % {"keys": ", ".join(unknown), "allowed": ", ".join(seal.KEYS[kind])}, code="seal")
    cleaned = {"kind": kind}
    for key, item in value.items():
        if key == "kind":
            continue
        items = item if key == "chain" and isinstance(item, list) else [item]
        if not all(isinstance(i, str) for i in items):
            raise ValidationError(_("%(key)s は文字列にしてください。") % {"key": key}, code="seal")
        items = [i.strip() for i in items if i.strip()]
        for text in items:
            if "-----BEGIN" in text:
                raise ValidationError(_("鍵や証明書の中身は設定に書けません。ファイルに置き、そのパスを指定してください。"),
                                      code="seal_secret")
            if len(text) > 1000 or any(unicodedata.category(ch).startswith("C") for ch in text):
                raise ValidationError(_("%(key)s の値が正しくありません。") % {"key": key}, code="seal")
            if (key in seal.PATH_KEYS or key == "chain") and not text.startswith("/"):
                raise ValidationError(_("%(key)s はサーバー上のファイルの絶対パスにしてください。") % {"key": key},
                                      code="seal")
            if key == "timestamp_url":
                parts = urllib.parse.urlsplit(text)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise ValidationError(_("timestamp_url はタイムスタンプ局（RFC 3161）の URL にしてください。"),
                                          code="seal")
        if items:
            cleaned[key] = items if key == "chain" else items[0]
    if kind == "file" and not cleaned.get("pkcs12") and not (cleaned.get("key") and cleaned.get("certificate")):
        raise ValidationError(_("file の電子公印には pkcs12、または key と certificate を指定してください。"),
                              code="seal")
    if kind == "file" and cleaned.get("pkcs12") and (cleaned.get("key") or cleaned.get("certificate")):
        raise ValidationError(_("pkcs12 と key・certificate は一緒に指定できません。どちらか一方にしてください。"),
                              code="seal")
    if kind == "pkcs11":
        missing = [k for k in ("module", "token_label", "key_label", "pin_file") if not cleaned.get(k)]
        if missing:
            raise ValidationError(_("pkcs11 の電子公印には %(keys)s も指定してください。") % {"keys": ", ".join(missing)},
                                  code="seal")
    return cleaned


def validate_channels(value) -> list[str]:
    """A list of CHANNELS codes, each once; [] means every channel."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("チャネルの一覧にしてください。"), code="channels")
    unknown = [v for v in value if v not in CHANNELS]
    if unknown:
        raise ValidationError(_("知らないチャネルです: %(names)s（使えるのは %(allowed)s）")
                              % {"names": ", ".join(unknown), "allowed": ", ".join(CHANNELS)}, code="channels")
    return list(dict.fromkeys(value))


def validate_brand_color(value) -> str:
    """A デジタル庁デザインシステム colour token with AA contrast (core/branding.py's rule)."""
    name = str(value or "").strip()
    branding.validate_brand_color(name)
    return name


# --- one form for the command, the system pages and the Django admin -------------------------

class CityForm(forms.ModelForm):
    """Every setting of a city, each through its validator. `other_hosts` are the city's
    CityHost rows besides its main `hostname` (one per line); saving is the caller's
    (core/onboarding.py), which writes the hosts and the audit event in one transaction."""

    other_hosts = forms.CharField(label=gettext_lazy("その他のホスト名"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=gettext_lazy("1行に1つ。"))
    # A CharField: validate_public_url checks it (a URLField would add a scheme of its own).
    public_url = forms.CharField(label=gettext_lazy("公開 URL"), required=False, max_length=200)
    channels = forms.MultipleChoiceField(label=gettext_lazy("チャネル"), required=False,
                                         choices=list(CHANNELS.items()),
                                         widget=forms.CheckboxSelectMultiple,
                                         help_text=gettext_lazy("どれも選ばなければすべて。"))

    class Meta:
        model = Municipality
        fields = ("code", "name", "name_kana", "prefecture", "slug", "hostname", "public_url",
                  "contact_phone", "contact_email", "address", "opening_hours", "service_name",
                  "brand_color", "sender_email", "sender_name", "identity_config", "seal_config", "channels")
        labels = {
            "name": gettext_lazy("名称"), "slug": gettext_lazy("スラッグ"),
            "hostname": gettext_lazy("ホスト名"),
            "contact_phone": gettext_lazy("代表電話"), "contact_email": gettext_lazy("問い合わせメール"),
            "address": gettext_lazy("所在地"), "service_name": gettext_lazy("サービス名"),
            "brand_color": gettext_lazy("色（デザイントークン名）"),
            "sender_email": gettext_lazy("送信元メールアドレス"), "sender_name": gettext_lazy("送信元の名前"),
            "identity_config": gettext_lazy("デジタル認証アプリの設定（JSON）"),
            "seal_config": gettext_lazy("電子公印の設定（JSON）"),
        }
        widgets = {"identity_config": forms.Textarea(attrs={"rows": 4}),
                   "seal_config": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "code": {"unique": gettext_lazy("この全国地方公共団体コードの自治体はすでにあります。")},
            "slug": {"unique": gettext_lazy("このスラッグはすでに使われています。")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every city has a host of its own, except the default city of a one-city deployment
        # (MADOGUCHI_DEFAULT_MUNICIPALITY), which every host not claimed by another city serves.
        self.fields["hostname"].required = not (
            self.instance.pk and self.instance.slug == settings.MADOGUCHI_DEFAULT_MUNICIPALITY)
        self.fields["hostname"].help_text = gettext_lazy("住民が開くホスト名（例: www.city.example.lg.jp）。")
        self.fields["identity_config"].required = False
        self.fields["seal_config"].required = False
        self.fields["seal_config"].help_text = gettext_lazy(
            "鍵の場所だけを書きます（鍵・PIN は書きません）。例: "
            '{"kind": "file", "pkcs12": "/etc/madoguchi/seal.p12", "passphrase_file": "/etc/madoguchi/seal.pass"}')
        # A select of the design tokens a city may choose (AA contrast), blank for the site's
        # own; a CharField, so that a typed name (the command) gets branding's own message.
        self.fields["brand_color"] = forms.CharField(
            label=self.fields["brand_color"].label, required=False,
            widget=forms.Select(choices=[("", _("標準（blue-900）")), *branding.choices()]))
        # The model's callable default would add a hidden "initial-" input that neither the
        # command nor the pages send; compared with the instance instead.
        self.fields["identity_config"].show_hidden_initial = False
        self.fields["seal_config"].show_hidden_initial = False
        if self.instance.pk and "other_hosts" not in self.initial:
            self.initial["other_hosts"] = "\n".join(
                self.instance.hosts.order_by("hostname").values_list("hostname", flat=True))

    # Django checks the model's own constraints too (a unique code or slug): its message names
    # the field; ours say what to do.
    def clean_code(self):
        return validate_code(self.cleaned_data.get("code"))

    def clean_slug(self):
        return validate_slug(self.cleaned_data.get("slug"))

    def clean_name(self):
        return validate_line(self.cleaned_data.get("name"), 100)

    def clean_name_kana(self):
        return validate_line(self.cleaned_data.get("name_kana"), 100)

    def clean_hostname(self):
        value = self.cleaned_data.get("hostname")
        if not value and not self.fields["hostname"].required:
            return ""
        return validate_hostname(value, self.instance if self.instance.pk else None)

    def clean_other_hosts(self):
        city = self.instance if self.instance.pk else None
        hosts, problems = [], []
        for line in str(self.cleaned_data.get("other_hosts") or "").splitlines():
            if not line.strip():
                continue
            try:
                host = validate_hostname(line, city)
            except ValidationError as exc:
                problems.extend(exc.messages)
                continue
            if host not in hosts:
                hosts.append(host)
        if problems:
            raise ValidationError(problems)
        return hosts

    def clean_contact_phone(self):
        return validate_phone_number(self.cleaned_data.get("contact_phone"))

    def clean_contact_email(self):
        return validate_email_address(self.cleaned_data.get("contact_email"))

    def clean_sender_email(self):
        return validate_email_address(self.cleaned_data.get("sender_email"))

    def clean_address(self):
        return validate_line(self.cleaned_data.get("address"), 200)

    def clean_opening_hours(self):
        return validate_opening_hours(self.cleaned_data.get("opening_hours"))

    def clean_service_name(self):
        return validate_line(self.cleaned_data.get("service_name"), 100)

    def clean_sender_name(self):
        return validate_line(self.cleaned_data.get("sender_name"), 100)

    def clean_brand_color(self):
        return validate_brand_color(self.cleaned_data.get("brand_color"))

    def clean_seal_config(self):
        return validate_seal_config(self.cleaned_data.get("seal_config") or {})

    def clean_channels(self):
        return validate_channels(self.cleaned_data.get("channels") or [])

    def clean(self):
        data = super().clean()
        # The host checks below need every host: skipped while a host itself is wrong.
        hosts = () if {"hostname", "other_hosts"} & set(self.errors) else self.hosts()
        if "prefecture" in self.fields:
            try:
                data["prefecture"] = validate_prefecture(data.get("prefecture"), data.get("code") or "")
            except ValidationError as exc:
                self.add_error("prefecture", exc)
        if data.get("hostname") and data.get("hostname") in (data.get("other_hosts") or []):
            self.add_error("other_hosts", _("%(host)s は主なホスト名と同じです。") % {"host": data["hostname"]})
        for name, check in (("public_url", validate_public_url), ("identity_config", validate_identity_config)):
            if name in self.fields and name not in self.errors:
                try:
                    data[name] = check(data.get(name) or ({} if name == "identity_config" else ""), hosts)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def hosts(self) -> list[str]:
        """Every host the city will have once saved (main first), as far as they are valid."""
        data = getattr(self, "cleaned_data", {})
        return [h for h in [data.get("hostname"), *(data.get("other_hosts") or [])] if h]


def problems_of(city: Municipality) -> dict[str, list[str]]:
    """What is wrong with a stored city by today's rules (a city made before a rule existed,
    or edited in SQL): field → messages. {} when everything passes."""
    form = CityForm(data=form_data(city), instance=city)
    return {} if form.is_valid() else {k: list(v) for k, v in form.errors.items()}


def form_data(city: Municipality) -> dict:
    """The city's stored settings as a CityForm's data."""
    data = {name: getattr(city, name) or "" for name in CityForm.Meta.fields}
    data["identity_config"] = json.dumps(city.identity_config or {}, ensure_ascii=False)
    data["seal_config"] = json.dumps(city.seal_config or {}, ensure_ascii=False)
    data["channels"] = list(city.channels or [])
    data["other_hosts"] = "\n".join(city.hosts.order_by("hostname").values_list("hostname", flat=True)) \
        if city.pk else ""
    return data
