"""JPKI (公的個人認証サービス): the My Number card's two certificates, checked without the card.

Modules: `profile` reads the J-LIS certificate profile (基本4情報, which certificate is which),
`verify` decides whether a certificate and a signature are acceptable, `crl` keeps revocation
lists fresh, `jcs` canonicalises JSON before it is signed, `ca` and `testing` stand in for
J-LIS and the card in tests. See docs/identity.md, "Certificates and verification".
"""
