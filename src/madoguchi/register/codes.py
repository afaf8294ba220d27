"""The code lists of the register, with the labels of the 住民記録システム標準仕様書.

続柄 and 異動事由 are stored as their label text: that is what the standard's CSV and every
form show, and it keeps an exported file readable without a code table.
"""

from django.db import models

HEAD = "世帯主"

# 続柄 (relationship to the head of the household), as written on a 住民票.
RELATIONSHIPS = (
    HEAD, "妻", "夫", "妻（未届）", "夫（未届）", "子", "子の妻", "子の夫", "孫", "孫の妻", "孫の夫",
    "父", "母", "妻の父", "妻の母", "夫の父", "夫の母", "祖父", "祖母",
    "兄", "姉", "弟", "妹", "兄の妻", "弟の妻", "姉の夫", "妹の夫",
    "おじ", "おば", "おい", "めい", "縁故者", "同居人", "その他",
)
SPOUSES = ("妻", "夫", "妻（未届）", "夫（未届）")


class Gender(models.TextChoices):
    """The 住民基本台帳 codes, as the card's 性別 uses them."""

    MALE = "1", "男"
    FEMALE = "2", "女"


class Status(models.TextChoices):
    """A record is never deleted: a resident who leaves or dies stays, with this status."""

    RESIDENT = "resident", "住民"
    MOVED_OUT = "moved_out", "転出"
    DECEASED = "deceased", "死亡"


class Reason(models.TextChoices):
    """異動事由 of a movement."""

    MOVE_IN = "転入", "転入"
    MOVE_IN_ABROAD = "国外転入", "国外転入"
    MOVE_WITHIN = "転居", "転居"
    MOVE_OUT = "転出", "転出"
    MOVE_OUT_ABROAD = "国外転出", "国外転出"
    BIRTH = "出生", "出生"
    DEATH = "死亡", "死亡"
    HOUSEHOLD_CHANGE = "世帯変更", "世帯変更"
    NATURALISATION = "帰化", "帰化"
    OFFICIAL_ENTRY = "職権記載", "職権記載"
    OFFICIAL_REMOVAL = "職権消除", "職権消除"
    OFFICIAL_CORRECTION = "職権修正", "職権修正"


# A record's status must agree with the reason of its latest movement.
REASONS_FOR_STATUS = {
    Status.MOVED_OUT: {Reason.MOVE_OUT, Reason.MOVE_OUT_ABROAD, Reason.OFFICIAL_REMOVAL},
    Status.DECEASED: {Reason.DEATH},
}
