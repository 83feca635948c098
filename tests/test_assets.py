"""The explanations shown beside each optimizer and loss: a prose page per entry, shown with the
equation and defaults of its catalog entry (so the window never shows two different equations for
one entry)."""

import dataclasses
import re

import pytest

import assets
from trainers import catalog
from trainers.catalog import LOSSES, OPTIMIZERS, LossInfo, OptimizerInfo, Param

ENTRIES = [(info, "Update rule") for info in OPTIMIZERS] + [(info, "Formula") for info in LOSSES]
IDS = [info.name for info, _ in ENTRIES]
SECTIONS = ["When it helps", "When it hurts", "Try this in Descent"]
FENCE = "```"


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) for each `### ` heading, in order."""
    parts = re.split(r"^### (.+)$", text, flags=re.MULTILINE)
    assert parts[0].strip() == "", "text before the first heading"
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]


def _fenced_blocks(body: str) -> list[str]:
    return re.findall(r"^```[^\n]*\n(.*?)\n```[ \t]*$", body, flags=re.MULTILINE | re.DOTALL)


def _prose(text: str) -> str:
    """The student-facing text: everything but headings and the fenced equation."""
    without_code = re.sub(r"^```.*?^```[ \t]*$", "", text, flags=re.MULTILINE | re.DOTALL)
    return "\n".join(line for line in without_code.splitlines() if not line.startswith("#"))


def _word_count(text: str) -> int:
    """Words of the prose; bullet dashes and lone symbols such as `=` are not words."""
    return sum(1 for token in _prose(text).split() if any(c.isalnum() for c in token))


def _value(text: str):
    if text in ("true", "false"):
        return text == "true"
    return float(text)


def test_every_catalog_entry_has_an_explanation_and_nothing_else_does():
    assert sorted(IDS) == assets.explanation_names()
    for name in IDS:
        assert (assets.EXPLANATIONS_DIR / f"{name}.md").is_file()


@pytest.mark.parametrize(("info", "rule_heading"), ENTRIES, ids=IDS)
def test_sections_in_order_with_the_catalog_display_name(info, rule_heading):
    headings = [heading for heading, _ in _sections(assets.explanation(info.name))]
    assert headings == [info.display_name, rule_heading, *SECTIONS]


@pytest.mark.parametrize(("info", "rule_heading"), ENTRIES, ids=IDS)
def test_every_section_has_content(info, rule_heading):
    for heading, body in _sections(assets.explanation(info.name)):
        assert body.strip(), f"{info.name}: section {heading!r} is empty"
    intuition = _sections(assets.explanation(info.name))[0][1].strip()
    assert intuition.endswith("."), f"{info.name}: the intuition should be one sentence"
    assert intuition.count(". ") == 0, f"{info.name}: the intuition should be one sentence"


@pytest.mark.parametrize(("info", "rule_heading"), ENTRIES, ids=IDS)
def test_equation_is_the_catalogs_verbatim(info, rule_heading):
    text = assets.explanation(info.name)
    body = dict(_sections(text))[rule_heading]
    assert _fenced_blocks(body) == [info.equation]
    assert len(_fenced_blocks(text)) == 1, "one equation per explanation"


@pytest.mark.parametrize(("info", "rule_heading"), ENTRIES, ids=IDS)
def test_symbols_are_explained_then_defaults_match_the_catalog(info, rule_heading):
    body = dict(_sections(assets.explanation(info.name)))[rule_heading]
    after_code = body.split(FENCE)[-1]
    assert re.search(r"^- `[^`]+`", after_code, flags=re.MULTILINE), "no symbol list"
    # The `Defaults:` paragraph lists exactly the catalog's options; notes go in a paragraph after.
    defaults = re.search(r"^Defaults: (.*?)(?:\n\n|\Z)", after_code, flags=re.MULTILINE | re.DOTALL)
    assert defaults, f"{info.name}: no `Defaults:` paragraph"
    pairs = dict(re.findall(r"`(\w+)=([^`]+)`", defaults.group(1)))
    assert set(pairs) == {p.name for p in info.params}
    for param in info.params:
        assert _value(pairs[param.name]) == param.default, param.name
    if not info.params:
        assert defaults.group(1).startswith("none")


@pytest.mark.parametrize(("info", "rule_heading"), ENTRIES, ids=IDS)
def test_length_and_markdown_subset(info, rule_heading):
    text = assets.explanation(info.name)
    words = _word_count(text)
    assert 80 <= words <= 160, f"{info.name}: {words} words"
    prose = _prose(text)
    assert not re.search(r"^#", text.replace("### ", ""), flags=re.MULTILINE), "only ### headings"
    assert "![" not in prose and "](" not in prose, "no images or links"
    assert not re.search(r"^\s*\|", prose, flags=re.MULTILINE), "no tables"
    assert "$" not in prose and "\\(" not in prose and "\\[" not in prose, "no LaTeX"
    assert "<" not in prose.replace("<-", ""), "no HTML"


def test_page_text_is_the_file_text():
    assert assets.page_text("adam") == (assets.EXPLANATIONS_DIR / "adam.md").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize("name", assets.explanation_names())
def test_prose_pages_hold_no_equation_and_no_defaults(name):
    text = assets.page_text(name)
    assert FENCE not in text, f"{name}: the equation comes from the catalog"
    assert not re.search(r"^Defaults:", text, flags=re.MULTILINE), f"{name}: so do the defaults"


@pytest.mark.parametrize("function", [assets.explanation, assets.page_text])
@pytest.mark.parametrize("name", ["nadam", "", "ADAM", "../__init__", "../x", "explanations/adam"])
def test_unknown_name_raises_listing_the_known_ones(function, name):
    with pytest.raises(ValueError, match="Known: .*adam.*sgd") as raised:
        function(name)
    assert str(raised.value).startswith(f"No explanation for {name!r}. Known: ")


@pytest.fixture
def replace_entry():
    """`replace_entry(entries, name, **changes)`: a changed copy of catalog entry `name` in its
    place until the test ends. In place, since other modules hold the catalog's lists themselves."""
    undo = []

    def replace(entries: list, name: str, **changes) -> None:
        index = next(i for i, entry in enumerate(entries) if entry.name == name)
        undo.append((entries, index, entries[index]))
        entries[index] = dataclasses.replace(entries[index], **changes)

    yield replace
    for entries, index, original in reversed(undo):
        entries[index] = original


def test_the_shown_page_follows_a_changed_catalog_entry(replace_entry):
    adam = catalog.optimizer_info("adam")
    new_defaults = {"learning_rate": 0.005, "epsilon": 1e-8}
    params = tuple(
        dataclasses.replace(p, default=new_defaults.get(p.name, p.default)) for p in adam.params
    )
    replace_entry(OPTIMIZERS, "adam", equation="w <- w - eta * m^\nm <- m", params=params)
    text = assets.explanation("adam")
    body = dict(_sections(text))["Update rule"]
    assert _fenced_blocks(body) == ["w <- w - eta * m^\nm <- m"]
    assert adam.equation not in text
    assert (
        "Defaults: `learning_rate=0.005`, `beta_1=0.9`, `beta_2=0.999`, `epsilon=1e-8`, "
        "`amsgrad=false`.\n" in body
    )
    assert "`m`, `v`: averages of gradients" in body, "the prose is kept"


def test_the_shown_page_follows_a_changed_loss(replace_entry):
    replace_entry(LOSSES, "huber", equation="delta * e", params=())
    body = dict(_sections(assets.explanation("huber")))["Formula"]
    assert _fenced_blocks(body) == ["delta * e"]
    assert "\nDefaults: none.\n" in body


def test_a_changed_bool_default_is_shown_as_true_or_false(replace_entry):
    (from_logits,) = catalog.loss_info("binary_crossentropy").params
    on = dataclasses.replace(from_logits, default=True)
    replace_entry(LOSSES, "binary_crossentropy", params=(on,))
    assert "Defaults: `from_logits=true`." in assets.explanation("binary_crossentropy")


def test_an_entry_without_a_page_gets_a_minimal_page_from_the_catalog():
    optimizer = OptimizerInfo(
        "throwaway_sgd",
        "Throwaway SGD",
        "w <- w - eta * g",
        "Plain SGD, registered only for this test.",
        (Param("learning_rate", 0.05, "eta"), Param("nesterov", False, "look ahead", kind="bool")),
    )
    loss = LossInfo(
        "throwaway_loss", "Throwaway loss", "mean(e^4)", "Fourth powers.", ("regression",)
    )
    catalog.register(optimizer)
    catalog.register(loss)
    try:
        assert assets.explanation("throwaway_sgd") == (
            "### Throwaway SGD\n\n"
            "Plain SGD, registered only for this test.\n\n"
            "### Update rule\n\n"
            "```\nw <- w - eta * g\n```\n\n"
            "Defaults: `learning_rate=0.05`, `nesterov=false`.\n"
        )
        assert assets.explanation("throwaway_loss") == (
            "### Throwaway loss\n\nFourth powers.\n\n"
            "### Formula\n\n```\nmean(e^4)\n```\n\nDefaults: none.\n"
        )
        assert "throwaway_sgd" not in assets.explanation_names()
        with pytest.raises(ValueError, match="Known: .*throwaway_sgd"):
            assets.explanation("nadam")
    finally:
        catalog.unregister(optimizer)
        catalog.unregister(loss)


@pytest.mark.parametrize("name", assets.INSTRUMENTS)
def test_each_instrument_page_is_there_in_the_markdown_subset(name):
    text = assets.instrument_page(name)
    assert text.startswith("### ") and _word_count(text) >= 100
    assert not re.search(r"^#", text.replace("### ", ""), flags=re.MULTILINE), "only ### headings"
    assert "![" not in text and "](" not in text and "<" not in text.replace("<-", "")
    files = sorted(path.stem for path in assets.INSTRUMENTS_DIR.glob("*.md"))
    assert files == sorted(assets.INSTRUMENTS)  # no page the window does not show


@pytest.mark.parametrize("name", ["", "../__init__", "../explanations/adam", "lr"])
def test_an_unknown_instrument_page_raises_listing_the_known_ones(name):
    with pytest.raises(ValueError, match=r"Known: .*lr_range_test"):
        assets.instrument_page(name)
