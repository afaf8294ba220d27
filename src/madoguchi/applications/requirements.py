"""What a resident needs before step 1 of a procedure, and what to do without it.

A card-required procedure (住民票の写し, 戸籍証明) used to block only at its last step, after four
steps of input, while its page listed 運転免許証・パスポート as if they were enough online. This
says it up front, from the catalogue entry: online, the My Number card and which PIN (the 署名用
password, 6–16 characters, to sign; the 利用者証明用 4 digits only to log in with the card); at the
department's window, the documents the catalogue lists to bring; by post, what to enclose, for
the certificates the law lets a resident request by post.

The template tag `{% requirements procedure %}` (templatetags/requirements.py) shows it on the
procedure page and on the form's first step, so both say the same thing.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from madoguchi.catalog.schema import Channel, Procedure
from madoguchi.catalog.selectors import department_for
from madoguchi.identity.card.messages import PIN_NAMES, PIN_RULES

# Certificates whose law provides for a request by post (郵送請求): the 住民票の写し
# (住民基本台帳法第12条 and its 省令) and the 戸籍証明 (戸籍法第10条, 戸籍法施行規則). Keyed by the
# catalogue's `legal_basis`, as a city's own certificate procedure cites the same article.
POSTAL_REQUEST_LAWS = ("住民基本台帳法第12条", "戸籍法第10条")  # ja-only: matched against legal_basis


@dataclass(frozen=True)
class Pin:
    """One of the card's PINs: its name, its form, and what it is used for here."""

    name: str
    rule: str
    use: str


@dataclass(frozen=True)
class Requirements:
    """What `_requirements.html` shows for one procedure."""

    procedure: Procedure
    card: bool  # the card is needed to apply online
    pins: list[Pin] = field(default_factory=list)
    counter: str = ""  # the department and window, when it can be done at the counter instead
    bring: list = field(default_factory=list)  # catalogue documents to bring to the counter
    by_post: bool = False
    post_to: str = ""
    enclose: list[str] = field(default_factory=list)


def by_post(procedure: Procedure) -> bool:
    """Whether the procedure may be requested by post instead (see POSTAL_REQUEST_LAWS)."""
    return any(law in procedure.legal_basis for law in POSTAL_REQUEST_LAWS)


def requirements_of(procedure: Procedure, municipality) -> Requirements:
    """What `procedure` needs online, and the ways without the card, in `municipality`."""
    card = procedure.card_required and procedure.channel == Channel.ONLINE
    if not card:
        return Requirements(procedure=procedure, card=False, bring=list(procedure.documents))
    department = department_for(municipality, procedure) if procedure.department else None
    window = procedure.window or (department.shown_counter if department else "")
    counter = department.shown_name if department else ""
    if counter and window:
        counter = _("%(department)s（%(window)s）") % {"department": counter, "window": window}
    pins = [
        Pin(PIN_NAMES["signing"], PIN_RULES["signing"], _("申請内容に電子署名をして送信するとき")),
        Pin(PIN_NAMES["authentication"], PIN_RULES["authentication"],
            _("マイナンバーカードでログインするとき（メールアドレスでもログインできます）")),
    ]
    enclose: list[str] = []
    post = by_post(procedure)
    if post:
        enclose = [
            _("請求書（請求する人の氏名・住所・生年月日・電話番号、必要な証明書と通数、使い道を書いたもの。便せんでもかまいません）"),
            _("請求する人の本人確認書類のコピー（運転免許証、マイナンバーカードの表面など）"),
            _("手数料分の定額小為替（郵便局で買えます。金額は「手数料」のとおりです）"),
            _("返信用封筒（切手を貼り、請求する人の住所と氏名を書いたもの）"),
        ]
        enclose += [_("%(document)s（該当する方のみ）") % {"document": d.name} for d in procedure.documents if not d.required]
    address = getattr(municipality, "address", "") or ""
    post_to = " ".join(part for part in (address, municipality.name,
                                         department.shown_name if department else "") if part)
    return Requirements(procedure=procedure, card=True, pins=pins, counter=counter,
                        bring=list(procedure.documents), by_post=post, post_to=post_to,
                        enclose=enclose)
