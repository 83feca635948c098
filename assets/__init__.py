"""Files the window shows: the application icon and the explanation beside each optimizer and loss.

Standard library only, so the window can read these before TensorFlow has finished importing.
"""

from pathlib import Path

ASSETS = Path(__file__).resolve().parent
ICON = ASSETS / "descent.svg"
EXPLANATIONS_DIR = ASSETS / "explanations"
"""One `<name>.md` per optimizer and loss of `trainers.catalog`, in the Markdown subset that
`QTextDocument.setMarkdown` renders: `###` headings, paragraphs, bullets, `**bold**`, inline code
and fenced code blocks."""


def explanation_names() -> list[str]:
    """The names that have an explanation, sorted."""
    return sorted(path.stem for path in EXPLANATIONS_DIR.glob("*.md"))


def explanation(name: str) -> str:
    """The Markdown text explaining optimizer or loss `name` (e.g. "adam", "huber").

    Raises ValueError, listing the known names, when `name` has no explanation.
    """
    known = explanation_names()
    # Checking membership first also keeps names like "../x" from reaching the file system.
    if name not in known:
        raise ValueError(f"No explanation for {name!r}. Known: {', '.join(known)}.")
    return (EXPLANATIONS_DIR / f"{name}.md").read_text(encoding="utf-8")
