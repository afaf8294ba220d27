"""`madoguchi design_tokens <tarball>`: vendor the デジタル庁デザインシステム's colour tokens.

Reads the npm tarball of @digital-go-jp/design-tokens (``npm pack @digital-go-jp/design-tokens@<v>``,
which `make design-tokens` runs) and writes core/branding_tokens.json (the primitive colour
scales, with the package's version, licence and the tarball's integrity hash) and one small
stylesheet per usable colour under static/madoguchi/brand/. ``--check`` changes nothing and
fails when any of them differs: the vendored values are then not that package version's.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import branding

STATIC = Path(branding.__file__).resolve().parent.parent / "static"


def stylesheet_dir() -> Path:
    return STATIC / branding.STYLESHEET_DIR


def stale_stylesheets(wanted: dict[str, str]) -> list[str]:
    """Names of files in the brand folder that are missing, differ or should not be there."""
    folder = stylesheet_dir()
    present = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.css")} if folder.exists() else {}
    return sorted(name for name in set(present) | set(wanted) if present.get(name) != wanted.get(name))


class Command(BaseCommand):
    requires_system_checks: list = []  # reads a file and writes others: no database, no city
    help = "Write core/branding_tokens.json and static/madoguchi/brand/*.css from the design tokens' npm tarball."

    def add_arguments(self, parser):
        parser.add_argument("tarball", type=Path, help="the package's .tgz, from `npm pack`")
        parser.add_argument("--check", action="store_true",
                            help="change nothing; fail when the vendored files differ")

    def handle(self, *args, tarball: Path, check: bool, **options):
        try:
            content = branding.tokens_from_package(tarball)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        tokens_text = branding.tokens_file_text(content)
        if check:
            if branding.TOKENS_FILE.read_text(encoding="utf-8") != tokens_text:
                raise CommandError(f"{branding.TOKENS_FILE.name} differs from {content['package']} "
                                   f"{content['version']}: run without --check to rewrite it")
        else:
            branding.TOKENS_FILE.write_text(tokens_text, encoding="utf-8")
            branding._vendored.cache_clear()
            branding.usable.cache_clear()
        wanted = branding.brand_stylesheets()
        stale = stale_stylesheets(wanted)
        if check and stale:
            raise CommandError(f"brand stylesheets differ from the tokens ({', '.join(stale)}): "
                               "run without --check")
        if not check:
            folder = stylesheet_dir()
            folder.mkdir(parents=True, exist_ok=True)
            for name in stale:
                if name in wanted:
                    (folder / name).write_text(wanted[name], encoding="utf-8")
                else:
                    (folder / name).unlink()
        self.stdout.write(f"{content['package']} {content['version']} ({content['license']}): "
                          f"{sum(len(s) for s in content['colors'].values())} colours, "
                          f"{len(wanted)} usable as a city's colour"
                          + (" — vendored files match" if check else ""))
