"""The kiosk's words in each of its languages: 日本語, English and やさしい日本語.

Names of groups and purposes come from their `name`, `name_en` and `name_easy` fields.
"""

LANGUAGES = {"ja": "日本語", "en": "English", "easy": "やさしい にほんご"}
HTML_LANG = {"ja": "ja", "en": "en", "easy": "ja"}
NAME_FIELD = {"ja": "name", "en": "name_en", "easy": "name_easy"}

KIOSK = {
    "ja": {
        "title": "番号札の発行", "lead": "ご用件を選んでください。番号札が出ます。",
        "reserved": "予約している方", "reserved_lead": "予約のQRコードを読み取るか、予約番号（8文字）を入力してください。",
        "code": "予約番号", "check_in": "受付する", "waiting": "待っている人", "wait": "待ち時間の目安",
        "minutes": "約{n}分", "soon": "まもなく", "closed": "受付時間外", "people": "{n}人", "language": "言語",
        "ticket": "番号札", "your_number": "あなたの番号", "ahead": "あなたの前に{n}人",
        "scan": "スマートフォンで読み取ると、呼出の状況が見られます。", "print": "印刷する",
        "back": "はじめにもどる", "estimate_note": "目安です。窓口の混み具合で変わります。",
        "reserved_ticket": "予約の方（{time}から優先してお呼びします）",
    },
    "en": {
        "title": "Take a ticket", "lead": "Choose what you came for. A numbered ticket will be issued.",
        "reserved": "If you have a reservation", "reserved_lead": "Scan the QR code of your reservation or type its 8-character code.",
        "code": "Reservation code", "check_in": "Check in", "waiting": "Waiting", "wait": "Estimated wait",
        "minutes": "about {n} min", "soon": "soon", "closed": "Closed now", "people": "{n}", "language": "Language",
        "ticket": "Ticket", "your_number": "Your number", "ahead": "{n} people before you",
        "scan": "Scan with your phone to follow your turn.", "print": "Print",
        "back": "Back to start", "estimate_note": "An estimate; it changes with how busy the counters are.",
        "reserved_ticket": "Reservation (called first from {time})",
    },
    "easy": {
        "title": "ばんごう の かみ", "lead": "なにを しに きましたか。えらんで ください。",
        "reserved": "よやく した ひと", "reserved_lead": "よやく の QRコード を よむか、よやく の ばんごう（8もじ）を いれて ください。",
        "code": "よやく の ばんごう", "check_in": "うけつけ する", "waiting": "まって いる ひと", "wait": "まつ じかん",
        "minutes": "だいたい {n}ふん", "soon": "すぐ", "closed": "いまは やすみ です", "people": "{n}にん", "language": "ことば",
        "ticket": "ばんごう の かみ", "your_number": "あなた の ばんごう", "ahead": "あなた の まえ に {n}にん",
        "scan": "スマートフォン で よむと、じゅんばん が わかります。", "print": "いんさつ",
        "back": "はじめ に もどる", "estimate_note": "だいたい の じかん です。かわる ことが あります。",
        "reserved_ticket": "よやく の ひと（{time}から さきに よびます）",
    },
}


def language(request) -> str:
    lang = request.GET.get("lang") or request.POST.get("lang") or "ja"
    return lang if lang in KIOSK else "ja"


def name(obj, lang: str) -> str:
    return getattr(obj, NAME_FIELD[lang]) or obj.name


# The phone status page, in the language chosen at the kiosk (the QR carries ?lang=).
STATUS = {
    "ja": {
        "title": "番号札 {label} の状況", "group": "窓口", "status": "状況", "ahead": "あなたの前",
        "wait": "待ち時間の目安", "people": "{n}人", "minutes": "約{n}分", "soon": "まもなく",
        "closed": "窓口が開くまでお待ちください", "window": "（{n}番窓口へお越しください）",
        "states": {"issued": "お待ちください", "called": "呼出中", "serving": "受付中", "done": "終了",
                   "absent": "不在", "transferred": "他の窓口へ移動", "cancelled": "取消"},
        "refresh": "この画面は30秒ごとに新しくなります。",
        "note": "目安は、この窓口で最近かかった時間と、いま開いている窓口の数から計算し、呼び出しのたびに新しくなります。",
        "notice_h": "順番が近づいたらメールで知らせる", "notice_ok": "お知らせの設定を受け付けました。",
        "notice_lead": "庁舎の外でお待ちいただけます。メールアドレスは暗号化して保存し、お呼びした時点で消去します。",
        "email": "メールアドレス", "remaining": "何人前になったら知らせるか", "remaining_option": "あと{n}人",
        "notice_button": "知らせてもらう",
    },
    "en": {
        "title": "Ticket {label}", "group": "Counter", "status": "Status", "ahead": "Before you",
        "wait": "Estimated wait", "people": "{n}", "minutes": "about {n} min", "soon": "soon",
        "closed": "Please wait until a window opens", "window": " (please come to window {n})",
        "states": {"issued": "Please wait", "called": "Called", "serving": "Being served", "done": "Finished",
                   "absent": "Absent", "transferred": "Moved to another counter", "cancelled": "Cancelled"},
        "refresh": "This page refreshes every 30 seconds.",
        "note": "The estimate comes from how long visits took at this counter recently and how many windows are open; it is updated at every call.",
        "notice_h": "E-mail me when my turn is near", "notice_ok": "We will e-mail you.",
        "notice_lead": "You can wait outside. Your address is stored encrypted and erased once you are called.",
        "email": "E-mail address", "remaining": "Tell me when this many people are before me",
        "remaining_option": "{n} left", "notice_button": "E-mail me",
    },
    "easy": {
        "title": "ばんごう {label}", "group": "まどぐち", "status": "いま", "ahead": "あなた の まえ",
        "wait": "まつ じかん", "people": "{n}にん", "minutes": "だいたい {n}ふん", "soon": "すぐ",
        "closed": "まどぐち が あくまで まって ください", "window": "（{n}ばん の まどぐち へ きて ください）",
        "states": {"issued": "まって ください", "called": "よんで います", "serving": "うけつけ ちゅう",
                   "done": "おわり", "absent": "いません でした", "transferred": "ほかの まどぐち へ",
                   "cancelled": "とりけし"},
        "refresh": "この がめん は 30びょう ごとに かわります。",
        "note": "まつ じかん は だいたい です。よぶ たびに かわります。",
        "notice_h": "じゅんばん が ちかく なったら メール で しらせる", "notice_ok": "うけつけ ました。",
        "notice_lead": "そと で まって いても だいじょうぶ です。メールアドレス は よんだ あと けします。",
        "email": "メールアドレス", "remaining": "なんにん まえ に しらせるか", "remaining_option": "あと {n}にん",
        "notice_button": "しらせて もらう",
    },
}


def state_texts(state: dict, lang: str) -> dict:
    """The phone page's changing lines, formatted once on the server for the page and its JSON."""
    t = STATUS[lang]
    wait = state["estimated_wait_minutes"]
    if wait is not None:
        estimate = t["soon"] if wait == 0 else t["minutes"].format(n=wait)
    else:
        estimate = t["closed"] if state["ahead"] is not None else "—"
    return {
        "status_text": t["states"].get(state["status"], state["status"])
        + (t["window"].format(n=state["window"]) if state["window"] else ""),
        "ahead_text": "—" if state["ahead"] is None else t["people"].format(n=state["ahead"]),
        "estimate_text": estimate,
    }
