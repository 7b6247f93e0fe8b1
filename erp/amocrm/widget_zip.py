"""The widget's archive for amoCRM: ``ui/amocrm_widget`` zipped with ``manifest.json`` at its root.

amoCRM refuses an archive whose manifest is not at the root, lacks a locale file it names, or
misses its images, so the build checks those first and names what is missing.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from erp.platform.errors import ValidationError

REQUIRED = ("manifest.json", "script.js", "i18n/ru.json", "i18n/en.json", "images/logo_min.png",
            "images/logo_medium.png", "images/logo_main.png", "images/logo.png", "images/logo_small.png")
SKIP_SUFFIXES = (".py", ".pyc")


def widget_dir() -> Path:
    """``ui/amocrm_widget``, next to the ``erp`` package (in a checkout and in site-packages alike)."""
    return Path(__file__).resolve().parents[2] / "ui" / "amocrm_widget"


def check(root: Path) -> dict:
    missing = [name for name in REQUIRED if not (root / name).is_file()]
    if missing:
        raise ValidationError(f"В виджете нет файлов: {', '.join(missing)}", code="widget_incomplete",
                              details={"missing": missing})
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for locale in manifest["widget"]["locale"]:
        if not (root / "i18n" / f"{locale}.json").is_file():
            raise ValidationError(f"В виджете нет перевода i18n/{locale}.json", code="widget_incomplete")
    if "lcard-1" not in manifest.get("locations", []):
        raise ValidationError("Виджет должен встраиваться в карточку сделки (lcard-1)", code="widget_incomplete")
    return manifest


def build(out: Path, root: Path | None = None) -> list[str]:
    """Write the archive to ``out``; the names inside it, in order."""
    root = root or widget_dir()
    check(root)
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(SKIP_SUFFIXES))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(2021, 12, 22, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (root / name).read_bytes())
    return names
