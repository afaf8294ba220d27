"""Steps shared by the browser tests: the axe-core check, logging in, downloading a PDF."""

import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import Page, expect

from madoguchi.notify.services import deliver_pending

STAFF_PASSWORD = "demo-pass-2026"
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_axe = Axe()


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def _scripted_copy(page: Page):
    """A JavaScript-enabled page showing `page`'s current DOM, minus its scripts.

    axe-core needs timers, which never fire where JavaScript is disabled; so the page's
    DOM (for a no-script page: the server's HTML) is served again, script tags removed, in
    a context of the same size where axe can run. Stylesheets load from the live server.
    """
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
    context = page.context.browser.new_context(viewport=page.viewport_size, locale="ja-JP")

    def serve(route):
        if route.request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        else:
            route.continue_()

    context.route("**/*", serve)
    copy = context.new_page()
    copy.goto(page.url)
    return context, copy


def check_a11y(page: Page) -> None:
    """Run axe-core on the page as it is now; fail listing every violation and node."""
    page.wait_for_load_state("load")
    if getattr(page.context, "madoguchi_javascript", True):
        results = _axe.run(page)
    else:
        context, copy = _scripted_copy(page)
        try:
            results = _axe.run(copy)
        finally:
            context.close()
    assert results.violations_count == 0, (
        f"axe-core found {results.violations_count} violation(s) on {page.url}:\n"
        + _describe(results.response["violations"])
    )


def assert_no_sideways_scroll(page: Page, width: int = 320) -> None:
    """At `width` CSS pixels the page (as it is now) must not scroll sideways: the document is no
    wider than the viewport. Names the widest elements that stick out, so a failure says where.
    The viewport is put back as it was afterwards."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": before["height"] if before else 640})
    page.wait_for_timeout(50)
    found = page.evaluate("""(width) => {
        const over = [];
        for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && getComputedStyle(el).position !== 'fixed')
                over.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
                          + `${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''}`
                          + ` right=${Math.round(r.right)}`);
        }
        return {scroll: document.documentElement.scrollWidth, over: over.slice(0, 8)};
    }""", width)
    if before:
        page.set_viewport_size(before)
    assert found["scroll"] <= width, (
        f"{page.url} scrolls sideways at {width}px (document {found['scroll']}px wide): {found['over']}")


def check_phone_page(page: Page) -> None:
    """Each page of a resident's way on a phone: axe-core, then no sideways scroll at 320 px."""
    check_a11y(page)
    assert_no_sideways_scroll(page, 320)


def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot to docs/screenshots/ when MADOGUCHI_SCREENSHOTS=1."""
    if os.environ.get("MADOGUCHI_SCREENSHOTS") != "1":
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


def login_code_for(email: str) -> str:
    """The newest one-time code mailed to `email` (delivering the outbox if still queued),
    whatever the language of the mail."""
    for attempt in range(2):
        for message in reversed(mail.outbox):
            found = re.search(r"(?<!\d)(\d{6})(?!\d)", message.body)
            if email in message.to and found:
                return found.group(1)
        if attempt == 0:
            deliver_pending()
    raise AssertionError(f"no login code was mailed to {email}: {[m.to for m in mail.outbox]}")


def log_in_resident(page: Page, email: str, check=None) -> None:
    """On the login page: type the address, read the code from the mail, enter it; `check`
    (check_a11y unless given, e.g. check_phone_page) runs on both pages."""
    check = check or check_a11y
    expect(page.get_by_role("heading", name="ログイン", exact=True)).to_be_visible()
    check(page)
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_role("button", name="確認コードを送る").click()
    expect(page.get_by_role("heading", name="確認コードの入力")).to_be_visible()
    check(page)
    page.get_by_label("確認コード").fill(login_code_for(email))
    page.get_by_role("button", name="ログインする").click()
    expect(page.get_by_text("ログインしました。")).to_be_visible()


def log_in_staff(page: Page, username: str) -> None:
    page.goto("/staff/login/")
    expect(page.get_by_role("heading", name="職員ログイン")).to_be_visible()
    check_a11y(page)
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="受付一覧")).to_be_visible()
    check_a11y(page)


def download_pdf(page: Page, link_name: str) -> bytes:
    """Click the link named `link_name`, wait for the download, return its bytes."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    assert download.failure() is None, download.failure()
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF"), data[:40]
    return data


def click_and_check(page: Page, role: str, name: str, heading: str) -> None:
    """Click a link or button, wait for the page whose h1 is `heading`, check it with axe."""
    page.get_by_role(role, name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    check_a11y(page)


# --- the My Number card: a SoftHSM2 software card and the real card client ----------------------

import subprocess  # noqa: E402 - this section was appended; its imports stay with it
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from madoguchi.identity.card.softcard import SoftwareCard  # noqa: E402
from madoguchi.identity.jpki.profile import BasicInfo  # noqa: E402

CARD_CLIENT = Path(sys.executable).with_name("madoguchi-card")  # .venv/bin/madoguchi-card
CARD_PROCEED = "読み取りが終わったら、ここを押して進む"


@dataclass(frozen=True)
class IssuedCard:
    """A software card issued by the test CA, with its PINs written to files for the client."""

    card: SoftwareCard
    person: BasicInfo
    pin_files: dict[str, Path]

    def serial(self, application: str) -> int:
        """The serial number of the card's 'authentication' or 'signing' certificate."""
        return int(self.card.meta["certificates"][application]["serial"], 16)

    def run(self, command: str, url: str) -> subprocess.CompletedProcess:
        """Run `madoguchi-card login|sign URL` against the live server, as the resident would."""
        pin = self.pin_files["authentication" if command == "login" else "signing"]
        env = {k: v for k, v in os.environ.items()
               if k not in ("MADOGUCHI_PKCS11_MODULE", "SOFTHSM2_CONF")}
        return subprocess.run(  # noqa: S603 - our own client, arguments from the test
            [str(CARD_CLIENT), command, url, "--card-dir", str(self.card.directory),
             "--pin-file", str(pin)],
            env=env, capture_output=True, text=True, timeout=60, check=False)


def card_command_url(page: Page, command: str) -> str:
    """The challenge URL from the page's `madoguchi-card login|sign URL` command."""
    shown = page.locator("pre.command code")
    expect(shown).to_have_text(re.compile(rf"^madoguchi-card {command} https?://\S+$"))
    return shown.inner_text().split()[-1]


# 山田 太郎's 児童手当 claim (the fixed demo household of docs/register.md), as submit_via_web takes it.
TARO_CLAIM = {  # ja-only: test data
    "claimant_name": "山田 太郎", "claimant_kana": "ヤマダ タロウ", "claimant_birth_date": "1988-05-20",
    "claimant_address": "デモ市本町2丁目3番4号", "claimant_postal_code": "999-0001",
    "claimant_occupation": "会社員",
    "children-0-name": "山田 一郎", "children-0-kana": "ヤマダ イチロウ",
    "children-0-birth_date": "2017-07-15", "children-0-living": "together",
}


def return_for_correction(clerk: Page, note: str, reason: str) -> None:
    """On an open case page, the clerk returns the case for correction (差戻し) with `note` and
    its category `reason` (a ReturnReason value), which the case's timeline then shows."""
    message = clerk.locator("#return-message")
    clerk.locator("#return-reason").select_option(reason)
    message.fill(note)
    clerk.locator("#return-form").get_by_role("button").click()
    expect(clerk.locator("#case-status")).to_have_attribute("data-status", "returned")
    expect(clerk.locator(f'.timeline [data-reason="{reason}"]')).to_have_count(1)
