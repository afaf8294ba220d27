"""The My Number card through PKCS#11: one client for SoftHSM2 software cards and real readers.

`pkcs11` talks to any PKCS#11 module (SoftHSM2 for tests and demos, OpenSC for a real card);
`softcard` issues software cards into SoftHSM2; `cli` is the resident's `madoguchi-card`.
"""
