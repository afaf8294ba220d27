"""Identifiers from the J-LIS certificate profile, in one place so the CA and the reader agree."""

from typing import Literal

from cryptography.x509 import ObjectIdentifier

Kind = Literal["signing", "authentication"]
SIGNING: Kind = "signing"
AUTHENTICATION: Kind = "authentication"
KINDS: tuple[Kind, ...] = (SIGNING, AUTHENTICATION)

# 1.2.392.200149.8.5.1.x: certificate policies (署名用 class 20, 利用者証明用 class 30).
POLICY_SIGNING = ObjectIdentifier("1.2.392.200149.8.5.1.1.20")
POLICY_AUTHENTICATION = ObjectIdentifier("1.2.392.200149.8.5.1.3.30")
POLICY_BY_KIND = {SIGNING: POLICY_SIGNING, AUTHENTICATION: POLICY_AUTHENTICATION}

# 1.2.392.200149.8.5.5.x: subjectAltName otherName types carrying the 基本4情報 (signing only).
SAN_NAME = ObjectIdentifier("1.2.392.200149.8.5.5.1")  # 氏名
SAN_NAME_SUBSTITUTE = ObjectIdentifier("1.2.392.200149.8.5.5.2")  # 氏名の代替文字の使用位置情報
SAN_GENDER = ObjectIdentifier("1.2.392.200149.8.5.5.3")  # 性別
SAN_BIRTH_DATE = ObjectIdentifier("1.2.392.200149.8.5.5.4")  # 生年月日
SAN_ADDRESS = ObjectIdentifier("1.2.392.200149.8.5.5.5")  # 住所
SAN_ADDRESS_SUBSTITUTE = ObjectIdentifier("1.2.392.200149.8.5.5.6")  # 住所の代替文字の使用位置情報
PERSONAL_DATA_ARC = "1.2.392.200149.8.5.5."

# Issuer DN parts as J-LIS writes them (C=JP, O=JPKI, OU=<purpose>, OU=<J-LIS>).
OU_BY_KIND = {
    SIGNING: "JPKI for digital signature",
    AUTHENTICATION: "JPKI for user authentication",
}
OU_JLIS = "Japan Agency for Local Authority Information Systems"
