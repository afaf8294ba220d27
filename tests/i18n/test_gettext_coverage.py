"""Every string a person is shown goes through gettext.

A Japanese literal in Python outside a gettext call (`_`, `gettext_lazy`, `pgettext`, …), or
Japanese in a template outside `{% translate %}`/`{% blocktranslate %}`, or in a script, fails
here, unless it is marked as staying Japanese on purpose:

- a line ending in `# ja-only: <why>` (Python), `{# ja-only: <why> #}` (templates) or
  `// ja-only: <why>` (scripts): a regex for 令和, a legal text that must stay Japanese;
- `ja-only file: <why>` in a file's first lines: data tables (era names, kana), demo data.

Run it as a script with file paths to see what is left in them:
    python tests/i18n/test_gettext_coverage.py src/madoguchi/navigator/views.py
"""

import ast
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "madoguchi"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e\u3000-\u303f]")
GETTEXT = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy",
           "npgettext", "npgettext_lazy", "gettext_noop", "_lazy", "N_"}
TEMPLATE_I18N = re.compile(
    r"\{%\s*(?:translate|trans)\s.*?%\}"
    r"|\{%\s*(?:blocktranslate|blocktrans)\b.*?%\}.*?\{%\s*(?:endblocktranslate|endblocktrans)\s*%\}"
    r"|\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
    re.S,
)


def _file_exempt(text: str) -> bool:
    return "ja-only file:" in "\n".join(text.splitlines()[:12])


def python_gaps(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    if _file_exempt(text):
        return []
    lines = text.splitlines()
    tree = ast.parse(text)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in GETTEXT:
                for inner in ast.walk(node):
                    skip.add(id(inner))
    gaps = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in skip:
            continue
        if not JAPANESE.search(node.value):
            continue
        span = lines[node.lineno - 1:(node.end_lineno or node.lineno)]
        if any("# ja-only" in line for line in span):
            continue
        gaps.append((node.lineno, node.value[:60]))
    return gaps


def template_gaps(path: Path, comment: str = "{#") -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    if _file_exempt(text):
        return []
    if path.suffix in (".html", ".txt"):
        # Blank out the translated parts, keeping line numbers.
        text = TEMPLATE_I18N.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)) if "ja-only" not in m.group(0)
                                 else m.group(0), text)
    gaps = []
    for number, line in enumerate(text.splitlines(), 1):
        if "ja-only" in line:
            continue
        if JAPANESE.search(line):
            gaps.append((number, line.strip()[:60]))
    return gaps


def all_gaps() -> dict[str, list[tuple[int, str]]]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        if gaps := python_gaps(path):
            found[str(path.relative_to(SRC))] = gaps
    for pattern in ("*.html", "*.js", "*.txt"):
        for path in sorted(SRC.rglob(pattern)):
            if "i18n" in path.parts and path.suffix == ".txt":
                continue
            if gaps := template_gaps(path):
                found[str(path.relative_to(SRC))] = gaps
    return found


def test_every_shown_string_goes_through_gettext():
    gaps = all_gaps()
    listing = "\n".join(f"{name}:{line}: {snippet}" for name, items in gaps.items() for line, snippet in items)
    assert not gaps, f"Japanese outside gettext in {len(gaps)} files:\n{listing}"


def test_the_scanner_finds_what_it_should(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('from django.utils.translation import gettext as _\n'
                      'A = _("申請")\nB = "申請"\nC = "申請"  # ja-only: a regex\n'
                      'def f():\n    """説明"""\n    return f"{A}を送信"\n')
    assert [line for line, _ in python_gaps(module)] == [3, 7]
    page = tmp_path / "p.html"
    page.write_text('{% load i18n %}\n<p>{% translate "申請" %}</p>\n<p>申請</p>\n'
                    '{% blocktranslate with n=1 %}{{ n }}件{% endblocktranslate %}\n{# 説明 #}\n')
    assert [line for line, _ in template_gaps(page)] == [3]


if __name__ == "__main__":
    targets = [Path(a).resolve() for a in sys.argv[1:]]
    for name, items in all_gaps().items():
        if targets and not any(str(SRC / name).startswith(str(t)) for t in targets):
            continue
        for line, snippet in items:
            print(f"{name}:{line}: {snippet}")
