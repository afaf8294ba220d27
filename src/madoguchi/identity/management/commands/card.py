"""`madoguchi card issue|show`: software My Number cards in SoftHSM2 for tests and demos.

`issue` makes the test CA in var/jpki-ca when missing and a card in var/cards/<id>;
`show` tells an operator what the card is without reading anything personal from it.
"""

import getpass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from madoguchi.identity.card import mynumber
from madoguchi.identity.card.applications import APPLICATIONS, PinRuleError
from madoguchi.identity.card.pkcs11 import CardError
from madoguchi.identity.card.softcard import (
    Pins,
    SoftHSMMissing,
    SoftwareCard,
    issue_software_card,
    new_card_id,
)

PIN_OPTIONS = {"signing": "signing_pin", "authentication": "auth_pin", "card_face": "face_pin"}


class Command(BaseCommand):
    help = "Issue (`issue`) or inspect (`show`) a software My Number card in SoftHSM2."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="issue a software card")
        issue.add_argument("--name", required=True, help="氏名")  # ja-only: the card's field names
        issue.add_argument("--address", required=True, help="住所")  # ja-only: the card's field names
        issue.add_argument("--birth-date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        issue.add_argument("--gender", required=True, choices=["1", "2", "3"], help="1 男, 2 女, 3 不明")  # ja-only: the card's field names
        issue.add_argument("--my-number", help="個人番号 (12 digits, check digit verified); random if omitted")  # ja-only: the card's field names
        issue.add_argument("--signing-pin", help="署名用パスワード: 6–16 of A–Z and 0–9, both (asked if omitted)")  # ja-only: the card's field names
        issue.add_argument("--auth-pin", help="利用者証明用暗証番号: 4 digits (asked if omitted)")  # ja-only: the card's field names
        issue.add_argument("--face-pin", help="券面事項入力補助用暗証番号: 4 digits (asked if omitted)")  # ja-only: the card's field names
        issue.add_argument("--dir", help="card directory (default var/cards/<card id>)")
        issue.add_argument("--ca-dir", help="test CA directory (default var/jpki-ca; created if missing)")
        show = sub.add_parser("show", help="tries left and certificates of a software card")
        show.add_argument("--dir", required=True, help="card directory")

    def handle(self, *args, **options):
        try:
            if options["action"] == "issue":
                self.issue(options)
            else:
                self.show(Path(options["dir"]))
        except (SoftHSMMissing, CardError, PinRuleError, FileExistsError, FileNotFoundError) as exc:
            raise CommandError(getattr(exc, "message", None) or str(exc)) from exc

    def issue(self, options):
        from madoguchi.identity.jpki.ca import TestCA
        from madoguchi.identity.jpki.profile import BasicInfo

        if options["my_number"] and not mynumber.is_valid(options["my_number"]):
            raise CommandError(_("個人番号が正しくありません（12桁の数字で、検査用数字（12桁目）を確認してください）。"))
        try:
            person = BasicInfo(name=options["name"], address=options["address"],
                               birth_date=options["birth_date"], gender=options["gender"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        pins = {key: options[opt] or getpass.getpass(f"{APPLICATIONS[key].pin_name}: ")
                for key, opt in PIN_OPTIONS.items()}
        for key, pin in pins.items():
            APPLICATIONS[key].check_pin(pin)  # before the CA or any token is made
        ca_dir = Path(options["ca_dir"] or Path(settings.VAR_DIR) / "jpki-ca")
        if (ca_dir / "state.json").exists():
            ca = TestCA.load(ca_dir)
        else:
            ca = TestCA.create(ca_dir)
            self.stdout.write(f"Created the test CA (not J-LIS) in {ca_dir}")
        card_id = new_card_id()
        directory = Path(options["dir"] or Path(settings.VAR_DIR) / "cards" / card_id)
        card = issue_software_card(ca, person, Pins(**pins), directory,
                                   my_number=options["my_number"], card_id=card_id)
        conf = card.conf
        self.stdout.write(self.style.SUCCESS(f"Issued software card {card.card_id} in {card.directory}"))
        self.stdout.write(
            f"  SOFTHSM2_CONF={conf}\n"
            f"  log in:   madoguchi-card login <challenge URL> --card-dir {card.directory}\n"
            f"  sign:     madoguchi-card sign <signing request URL> --card-dir {card.directory}\n"
            f"  or:       SOFTHSM2_CONF={conf} madoguchi-card login <challenge URL>\n"
            f"  inspect:  madoguchi card show --dir {card.directory}\n"
            f"            SOFTHSM2_CONF={conf} pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so -L\n"
            f"  trust:    the server must trust the test CA in {ca_dir} (root-ca.pem)"
        )

    def show(self, directory: Path):
        card = SoftwareCard(directory)
        reader = card.reader()
        present = {t.application for t in reader.tokens() if t.application}
        self.stdout.write(f"Software card {card.card_id} in {card.directory} (issued {card.meta.get('issued_at', '?')})")
        self.stdout.write(f"  SOFTHSM2_CONF={card.conf}")
        for key, app in APPLICATIONS.items():
            label = card.meta["labels"][key]
            if key not in present:
                self.stdout.write(f"  {app.name} [{label}]: token missing")
                continue
            remaining = card.counter.remaining(key)
            state = "LOCKED" if remaining == 0 else f"{remaining}/{app.max_tries} tries left"
            self.stdout.write(f"  {app.name} [{label}]: {state}")
            cert = card.meta.get("certificates", {}).get(key)
            if cert:
                self.stdout.write(f"    certificate serial {cert['serial']}, valid "
                                  f"{cert['not_before']} – {cert['not_after']}, issuer {cert['issuer']}")
