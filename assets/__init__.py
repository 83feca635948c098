"""Files the window shows: the application icon and the explanation beside each optimizer and loss.

Standard library and `trainers.catalog` only (itself standard library only), so the window can
read these before TensorFlow has finished importing.
"""

from pathlib import Path

ASSETS = Path(__file__).resolve().parent
ICON = ASSETS / "descent.svg"
EXPLANATIONS_DIR = ASSETS / "explanations"
"""One `<name>.md` of prose per optimizer and loss of `trainers.catalog`, in the Markdown subset
that `QTextDocument.setMarkdown` renders: `###` headings, paragraphs, bullets, `**bold**` and
inline code. The equation and the defaults are not written there: `explanation` inserts them from
the catalog entry, so they cannot drift from what the engine runs."""

INSTRUMENTS_DIR = ASSETS / "instruments"
"""One `<name>.md` per instrument of the window (the learning-rate range test, ...): what it
does, how to read it and its pitfalls, in the same Markdown subset."""
INSTRUMENTS = ("lr_range_test", "sharpness", "landscape")
"""The instruments' pages the window shows (the self-test checks that each is there)."""

FENCE = "```"
RULE_HEADINGS = {"optimizer": "Update rule", "loss": "Formula"}
"""The section of a page that shows the entry's equation, by kind of entry."""


def explanation_names() -> list[str]:
    """The names that have a prose page, sorted."""
    return sorted(path.stem for path in EXPLANATIONS_DIR.glob("*.md"))


def page_text(name: str) -> str:
    """The prose page of optimizer or loss `name` as written, without equation or defaults.

    Raises ValueError, listing the names that have a page, when `name` has none.
    """
    known = explanation_names()
    # Checking membership first also keeps names like "../x" from reaching the file system.
    if name not in known:
        raise ValueError(f"No explanation for {name!r}. Known: {', '.join(known)}.")
    return (EXPLANATIONS_DIR / f"{name}.md").read_text(encoding="utf-8")


def explanation(name: str) -> str:
    """The Markdown page the window shows for optimizer or loss `name` (e.g. "adam", "huber").

    The prose page with the catalog entry's equation as a fenced block at the top of its
    "Update rule" / "Formula" section and its defaults after the symbol list. An entry without a
    page (one registered at run time) gets a minimal page built from the catalog alone.
    Raises ValueError, listing the known names, when `name` is neither in the catalog nor has a
    page.
    """
    entry, kind = _catalog_entry(name)
    pages = explanation_names()
    if entry is None:
        if name in pages:
            return page_text(name)
        from trainers import catalog

        known = sorted({*pages, *(e.name for e in catalog.OPTIMIZERS + catalog.LOSSES)})
        raise ValueError(f"No explanation for {name!r}. Known: {', '.join(known)}.")
    heading = RULE_HEADINGS[kind]
    if name in pages:
        prose = page_text(name)
    else:
        prose = f"### {entry.display_name}\n\n{entry.summary}\n\n### {heading}\n"
    return _with_rule(prose, heading, entry.equation, _defaults_paragraph(entry.params))


def _catalog_entry(name: str):
    """(entry, "optimizer" or "loss") for `name`, or (None, None) when the catalog lacks it."""
    from trainers import catalog

    for kind, lookup in (("optimizer", catalog.optimizer_info), ("loss", catalog.loss_info)):
        try:
            return lookup(name), kind
        except ValueError:
            continue
    return None, None


def _with_rule(prose: str, heading: str, equation: str, defaults: str) -> str:
    """`prose` with `equation` fenced at the top of section `heading` and `defaults` after the
    symbol list that follows it (the bullets the section opens with)."""
    # Paragraphs are separated by one blank line; a bullet list with its continuation lines is one.
    paragraphs = prose.rstrip("\n").split("\n\n")
    heading_line = f"### {heading}"
    if heading_line in paragraphs:
        at = paragraphs.index(heading_line) + 1
    else:  # a page that lacks the section still shows the rule, after its intuition
        later = [i for i, p in enumerate(paragraphs) if i > 0 and p.startswith("### ")]
        at = later[0] if later else len(paragraphs)
        paragraphs.insert(at, heading_line)
        at += 1
    paragraphs.insert(at, f"{FENCE}\n{equation}\n{FENCE}")
    end = at + 1
    while end < len(paragraphs) and paragraphs[end].startswith("- "):
        end += 1
    paragraphs.insert(end, defaults)
    return "\n\n".join(paragraphs) + "\n"


def _defaults_paragraph(params) -> str:
    """`Defaults: \\`name=value\\`, ...` for the entry's params, or `Defaults: none.`."""
    if not params:
        return "Defaults: none."
    return "Defaults: " + ", ".join(f"`{p.name}={_value_text(p.default)}`" for p in params) + "."


def _value_text(value) -> str:
    """A default as the pages write it: `true` / `false`, `0.001`, `1.0`, `1e-7`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        mantissa, e, exponent = repr(value).partition("e")
        # repr writes 1e-07 and 1e+16; the pages write 1e-7 and 1e16.
        return f"{mantissa}e{int(exponent)}" if e else mantissa
    return str(value)


def instrument_page(name: str) -> str:
    """The page of instrument `name` ("lr_range_test"); ValueError listing the known ones."""
    known = sorted(path.stem for path in INSTRUMENTS_DIR.glob("*.md"))
    if name not in known:  # also keeps names like "../x" from reaching the file system
        raise ValueError(f"No page for the instrument {name!r}. Known: {', '.join(known)}.")
    return (INSTRUMENTS_DIR / f"{name}.md").read_text(encoding="utf-8")
