"""What a delivery's codes mean, in words a resident understands (My Page) and staff read
on the case: the state of a delivery, why it failed (the FAILURES codes of
notify/channels/base.py) and what the notice was about (tell()'s events).

Kept beside the codes rather than in each template so that the resident's page, the case
page and the `channel` command say the same thing; every label is translated (Japanese
source text, the resident's language at render time)."""

from django.utils.translation import gettext_lazy as _

STATUS_LABELS = {
    "pending": _("送信待ち"),
    "sent": _("送りました（届いたかはまだ分かりません）"),
    "delivered": _("届きました"),
    "failed": _("届きませんでした"),
}

FAILURE_LABELS = {
    "unreachable": _("宛先が使われていないか、受け取れない状態でした。"),
    "blocked": _("受け取りを断られました（ブロックされているか、携帯電話会社が止めました）。"),
    "complained": _("迷惑メールとして報告されたため、このアドレスへの送信を止めました。"),
    "expired": _("この端末の通知の登録が切れていました。"),
    "unlinked": _("連携が解除されていました。"),
    "invalid": _("送り先のサービスがこのお知らせを受け付けませんでした。"),
    "rate_limited": _("送信が混み合っていて、送れませんでした。"),
    "gave_up": _("何度か送りなおしましたが、送れませんでした。"),
    "not_configured": _("この方法でのお知らせは、いま使えません。"),
}

EVENT_LABELS = {
    "received": _("申請を受け付けました"),
    "returned": _("申請が差し戻されました"),
    "decided": _("審査の結果が出ました"),
    "payment_request": _("手数料のお支払いのお願い"),
    "message": _("市からメッセージが届きました"),
    "paid": _("お支払いを確認しました"),
    "deadline": _("期限が近づいています"),
    "queue_near": _("まもなく順番です"),
    "reservation": _("予約の日が近づいています"),
}
OTHER_EVENT = _("お知らせ")


def status_label(status: str):
    return STATUS_LABELS.get(status, status)


def failure_label(failure: str):
    return FAILURE_LABELS.get(failure, FAILURE_LABELS["gave_up"]) if failure else ""


def event_label(event: str):
    return EVENT_LABELS.get(event, OTHER_EVENT)
