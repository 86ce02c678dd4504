"""Find a project's template (a file, or a folder holding template.yaml) and read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stratus.errors import Invalid
from stratus.templates.loader import DuplicateKey, load_template

from . import console
from .local_artifacts import BuildError

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")


def find_template(path: Path) -> Path:
    """`path` itself when it is a file, else the template in the folder `path`."""
    if path.is_file():
        return path.resolve()
    if path.is_dir():
        for name in TEMPLATE_NAMES:
            if (path / name).is_file():
                return (path / name).resolve()
        raise BuildError(f"{path} has no {', '.join(TEMPLATE_NAMES)}; pass the template's path")
    raise BuildError(f"{path} does not exist; pass a template file or the folder holding it")


def read_template(path: Path) -> dict[str, Any]:
    """The template as a dict, YAML short tags (`!Ref`) in their long form (`{"Ref": …}`)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"cannot read {path}: {exc}") from exc

    def warn(duplicate: DuplicateKey) -> None:
        console.warning(f"{path}: {duplicate.describe()}; the last one is used, as sam deploy does")

    try:
        # Read as SAM CLI reads a local file (last key wins), not as CloudFormation reads a
        # TemplateBody: the server gets the template re-dumped, without the duplicate.
        template = load_template(text, on_duplicate=warn)
    except Invalid as exc:
        raise BuildError(f"{path}: {exc.message}") from exc
    if not isinstance(template, dict):
        raise BuildError(f"{path} is not a template (a mapping with Resources)")
    return template
