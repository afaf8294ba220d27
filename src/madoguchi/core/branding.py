"""A city's own look: its service name, logo and key colour, within the デジタル庁デザインシステム.

**Colours.** A city does not pick any colour: `Municipality.brand_color` names one step of the
デジタル庁デザインシステム's primitive colour scales (``blue-900``, ``green-800`` …). The values
are vendored from the npm package ``@digital-go-jp/design-tokens`` (MIT, デジタル庁) into
``core/branding_tokens.json``: only the primitive hue scales, with the package's name, version,
licence and the tarball's integrity hash. ``madoguchi design_tokens <tarball>`` writes that file
from a tarball fetched with ``npm pack`` (``make design-tokens``), and ``--check`` says whether
the file still matches it.

**Contrast.** The key colour is used for links and outlined buttons on white, on the light grey
of panels and the language bar (Solid Gray-50), and under white text (the primary button, the
current step): a token is accepted only when each of those pairs reaches WCAG 2.x AA for
normal text (4.5:1), by the relative-luminance formula as ``coloraide`` computes it (a
maintained colour library; ``wcag21`` method). One validator, `validate_brand_color`, is used
by the command, the system and city administrators' pages and the Django admin.

**On pages.** Each usable token has its own tiny static stylesheet,
``static/madoguchi/brand/<token>.css`` (written with the tokens file and kept equal to it by a
test), which sets ``--color-key`` and its hover shade; a city's pages link the one of its
colour after site.css (none for the default Blue-900). Chosen over a per-city stylesheet served
by a view because the vocabulary is finite and small: static files are served and cached like
the rest (hashed names in production, one for every city using that colour), need no view or
cache to keep fresh and nothing inline for the Content-Security-Policy; and over one file with
a class per token because every page's stylesheets share a 16 KB budget (a phone's first paint).
High contrast (``body.contrast-high``) sets the same properties on ``<body>``, nearer the
elements, so it wins over any city's colour.

**Logo.** Only raster images a browser and ReportLab both read (PNG, JPEG, WebP) are taken,
checked and re-encoded with Pillow (no SVG: it can carry script), scaled to fit
`LOGO_MAX_SIZE`, and stored as PNG. Pages fetch it from ``/city/logo/<digest>.png``, a URL that
changes with the image, so it is cached for a year.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TOKENS_FILE = Path(__file__).with_name("branding_tokens.json")
PACKAGE = "@digital-go-jp/design-tokens"
DEFAULT_COLOR = "blue-900"  # the site's own key colour (static/madoguchi/site.css :root)

AA_TEXT = 4.5  # WCAG 2.x 1.4.3 (AA), normal text
WHITE = "#ffffff"
GRAY_50 = "#f2f2f2"  # DADS Solid Gray-50: panels, the language bar (--color-bg-sub)
# Where the key colour is read: as text on these backgrounds, and under white text.
CONTRAST_PAIRS = ((WHITE, "as text on white"), (GRAY_50, "as text on light grey"))

LOGO_MAX_UPLOAD = 2 * 1024 * 1024  # bytes taken from an upload before it is even opened
LOGO_MAX_PIXELS = 16_000_000  # refused before decoding: a small file can claim a huge image
LOGO_MAX_SIZE = (800, 240)  # stored at most this size (the header shows it 48 px high)
LOGO_FORMATS = {"PNG", "JPEG", "WEBP"}
LOGO_TYPE = "image/png"


# --- the tokens -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _vendored() -> dict:
    return json.loads(TOKENS_FILE.read_text(encoding="utf-8"))


def tokens() -> dict[str, str]:
    """Every primitive colour token by name ("blue-900" → "#0017c1"), scale by scale."""
    return {f"{hue}-{step}": value
            for hue, steps in _vendored()["colors"].items() for step, value in steps.items()}


def package_version() -> str:
    return _vendored()["version"]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two sRGB colours (1 to 21)."""
    from coloraide import Color

    return Color(foreground).contrast(background, method="wcag21")


def contrast_problems(value: str) -> list[str]:
    """The pairs in which `value` (a colour) falls below AA, as short English descriptions."""
    problems = [f"{what} {ratio:.2f}:1" for background, what in CONTRAST_PAIRS
                if (ratio := contrast(value, background)) < AA_TEXT]
    if contrast(WHITE, value) < AA_TEXT:  # symmetric with white, kept for what it says
        problems.append(f"under white text {contrast(WHITE, value):.2f}:1")
    return problems


@lru_cache(maxsize=1)
def usable() -> dict[str, str]:
    """The tokens a city may choose: those whose every pair reaches AA."""
    return {name: value for name, value in tokens().items() if not contrast_problems(value)}


def choices() -> list[tuple[str, str]]:
    """(token, label) for a select, the label showing the value and its contrast on white."""
    return [(name, f"{name} ({value}, {contrast(value, WHITE):.1f}:1)")
            for name, value in usable().items()]


def validate_brand_color(name: str) -> None:
    """Refuse a brand colour that is not a design token or whose contrast is not AA. Blank is
    allowed: the site's own colour (Blue-900). Raises django's ValidationError with a plain
    message, for a form field, the admin, the command and the API alike."""
    if not name:
        return
    value = tokens().get(name)
    if value is None:
        raise ValidationError(
            _("「%(name)s」はデザイントークンの色名ではありません。例: blue-900, green-800"),
            code="unknown_token", params={"name": name})
    if contrast_problems(value):
        ratio = min(contrast(value, WHITE), contrast(value, GRAY_50))  # the worse of the two
        raise ValidationError(
            _("%(name)s（%(value)s）は背景とのコントラスト比が %(ratio)s:1 で、"
              "必要な 4.5:1 に届きません。より濃い色を選んでください。"),
            code="low_contrast",
            params={"name": name, "value": value, "ratio": f"{ratio:.2f}"})


def hover_of(name: str) -> str:
    """The token a link or button of colour `name` takes under the pointer: the next darker
    step of its scale (the darkest step stays itself)."""
    hue, _sep, step = name.rpartition("-")
    steps = list(_vendored()["colors"][hue])
    index = steps.index(step)
    return f"{hue}-{steps[min(index + 1, len(steps) - 1)]}"


STYLESHEET_DIR = "madoguchi/brand"  # under static/: one small stylesheet per usable token


def stylesheet_of(name: str) -> str:
    """The static path of the stylesheet that gives a page the colour `name`."""
    return f"{STYLESHEET_DIR}/{name}.css"


def brand_stylesheets() -> dict[str, str]:
    """file name → text of every token's stylesheet (what `madoguchi design_tokens` writes under
    static/madoguchi/brand/). `html:root` outweighs site.css's `:root`; high contrast, set on
    <body>, is nearer the elements and wins over both."""
    all_tokens = tokens()
    return {f"{name}.css": (f"/* {PACKAGE} {package_version()} (MIT) {name}; written by "
                            f"madoguchi design_tokens */\nhtml:root{{--color-key:{value};"
                            f"--color-key-hover:{all_tokens[hover_of(name)]}}}\n")
            for name, value in usable().items()}


# --- vendoring the package ---------------------------------------------------------------------

_PRIMITIVE = re.compile(r"--color-primitive-([a-z-]+?)-(\d+):\s*(#[0-9a-fA-F]{6})\s*;")


def tokens_from_package(tarball: Path) -> dict:
    """The tokens file's content from the package's npm tarball (``npm pack``): its
    package.json (name, version, licence), LICENSE (the copyright line) and the primitive colour
    scales of dist/tokens-simple.css, in the package's order."""
    data = tarball.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        def member(path: str) -> str:
            found = archive.extractfile(f"package/{path}")
            if found is None:
                raise ValueError(f"{path} is missing from {tarball.name}")
            return found.read().decode("utf-8")

        package = json.loads(member("package.json"))
        licence = member("LICENSE")
        css = member("dist/tokens-simple.css")
    if package.get("name") != PACKAGE:
        raise ValueError(f"{tarball.name} is {package.get('name')!r}, not {PACKAGE}")
    if package.get("license") != "MIT":
        raise ValueError(f"{PACKAGE} {package.get('version')} is not MIT-licensed any more: "
                         f"{package.get('license')!r}; check before vendoring it")
    colors: dict[str, dict[str, str]] = {}
    for hue, step, value in _PRIMITIVE.findall(css):
        colors.setdefault(hue, {})[step] = value.lower()
    if not colors:
        raise ValueError(f"no primitive colours found in {tarball.name}")
    copyright_line = next((line.strip() for line in licence.splitlines()
                           if line.strip().startswith("Copyright")), "")
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    return {
        "_comment": (f"Vendored from the npm package {PACKAGE} (dist/tokens-simple.css): the "
                     "primitive colour scales only. Regenerate with `make design-tokens`; "
                     "do not edit by hand."),
        "package": PACKAGE,
        "version": package["version"],
        "license": package["license"],
        "copyright": copyright_line,
        "integrity": integrity,
        "colors": colors,
    }


def tokens_file_text(content: dict) -> str:
    return json.dumps(content, ensure_ascii=False, indent=2) + "\n"


# --- the logo ----------------------------------------------------------------------------------

def clean_logo(data: bytes) -> bytes:
    """The logo as stored: `data` checked to be a PNG, JPEG or WebP image of sane size, scaled
    to fit LOGO_MAX_SIZE and re-encoded as PNG without its metadata. Raises ValidationError
    with a plain message otherwise."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValidationError(_("ロゴの画像ファイルを選んでください。"), code="empty")
    if len(data) > LOGO_MAX_UPLOAD:
        raise ValidationError(_("ロゴの画像は %(limit)s MB 以下にしてください。"),
                              code="too_large", params={"limit": LOGO_MAX_UPLOAD // (1024 * 1024)})
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in LOGO_FORMATS:
                raise ValidationError(_("ロゴは PNG、JPEG、WebP のいずれかの画像にしてください。"),
                                      code="format")
            width, height = image.size
            if width * height > LOGO_MAX_PIXELS or not width or not height:
                raise ValidationError(_("ロゴの画像が大きすぎます（%(width)s×%(height)s ピクセル）。"),
                                      code="too_many_pixels",
                                      params={"width": width, "height": height})
            image.load()
            converted = image.convert("RGBA")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("ロゴの画像を読み取れませんでした。PNG、JPEG、WebP の画像を選んでください。"),
                              code="unreadable") from exc
    converted.thumbnail(LOGO_MAX_SIZE)
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return out.getvalue()


class LogoField(forms.FileField):
    """A form's logo upload: read at most LOGO_MAX_UPLOAD + 1 bytes, then `clean_logo`; the
    cleaned value is the PNG to store (None when nothing was chosen)."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload or upload is initial:
            return None
        upload.seek(0)
        return clean_logo(upload.read(LOGO_MAX_UPLOAD + 1))


class BrandColorField(forms.ChoiceField):
    """A select of the usable tokens (blank: the site's own Blue-900), checked by
    `validate_brand_color` as the command and the admin are."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices=lambda: [("", _("%(token)s（標準）") % {"token": DEFAULT_COLOR}),
                                          *choices()],
                         validators=[validate_brand_color], **kwargs)


@dataclass(frozen=True)
class Logo:
    digest: str
    width: int
    height: int


@lru_cache(maxsize=512)
def _logo_of(data: bytes) -> Logo:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return Logo(hashlib.sha256(data).hexdigest()[:20], width, height)


def logo_bytes(municipality) -> bytes | None:
    """The stored logo (a database may hand a BinaryField back as a memoryview)."""
    data = municipality.logo
    if not data:
        return None
    return data.tobytes() if isinstance(data, memoryview) else bytes(data)


def logo_of(municipality) -> Logo | None:
    """Its digest (for the URL) and size (for the page's width/height), computed once per image
    in a process: the city cache hands out the same bytes object, whose hash Python keeps."""
    data = logo_bytes(municipality)
    if data is None:
        return None
    try:
        return _logo_of(data)
    except OSError:
        return None  # a row written around the validator: no logo rather than a broken page


# --- what a page, a mail and a PDF show ----------------------------------------------------------

@dataclass(frozen=True)
class Look:
    """Everything the site's frame needs to show a city as its own."""

    city: str
    service: str  # the service's name beside the city's (its own, or オンライン窓口 translated)
    own_service: bool  # the service name is the city's own (a proper name: not translated)
    color: str  # token name
    stylesheet: str  # static path of the colour's stylesheet; "" for the site's own colour
    logo: Logo | None

    @property
    def logo_url(self) -> str:
        from django.urls import reverse

        return reverse("core:city_logo", args=[self.logo.digest]) if self.logo else ""

    @property
    def title(self) -> str:
        """The site's name as a page title ends: 「デモ市 オンライン窓口」 or the city's own."""
        if self.own_service:
            return f"{self.city} {self.service}"
        return _("%(city)s オンライン窓口") % {"city": self.city}


def color_of(municipality) -> str:
    """The city's token, when still usable (a row set around the validator, or a token that a
    new package version dropped, falls back to the site's own colour)."""
    name = municipality.brand_color or DEFAULT_COLOR
    return name if name in usable() else DEFAULT_COLOR


def look(municipality) -> Look | None:
    if municipality is None:
        return None
    color = color_of(municipality)
    return Look(
        city=municipality.name,
        service=municipality.service_name or _("オンライン窓口"),
        own_service=bool(municipality.service_name),
        color=color,
        stylesheet="" if color == DEFAULT_COLOR else stylesheet_of(color),
        logo=logo_of(municipality),
    )


def letterhead(municipality):
    """The head of the city's PDFs (core/pdf/common.Letterhead): its name, service name, logo
    and colour as plain data."""
    from madoguchi.core.pdf.common import Letterhead

    return Letterhead(
        name=municipality.name,
        service=municipality.service_name,
        logo=logo_bytes(municipality) if logo_of(municipality) else None,
        color=tokens()[color_of(municipality)],
    )
