"""A benchmark's report: its tables, its figures as data, and the folder that holds them.

`build(result)` turns a `trainers.benchmark.BenchmarkResult` into a `Report`: one table row
per problem and optimizer (the best setting, its median over seeds with a 95% bootstrap
interval, the steps to the target, how many trials came within 10% of the problem's best, and
whether the difference to the best optimizer lies within seed noise), and the figures as
`Figure`s of plain numbers. The engine never draws: the CLI's entry point hands the figures to
the window's plotting (`gui.report_figures`, Qt offscreen), which writes PNG and SVG, and
`write` puts the CSV tables, the pictures and one self-contained HTML page (the SVGs inline,
no network) into the report folder.

Plain Python with numpy and scipy (through `trainers.tuning`), no TensorFlow.
"""

from __future__ import annotations

import csv
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trainers import catalog, tuning
from trainers.errors import TrainingError

WITHIN = 0.10  # a trial "within 10%" of the problem's best tuned result counts as good


@dataclass
class Series:
    """One line of a figure: points, an optional band (`low`..`high`) and dots or a line."""

    label: str
    xs: list[float]
    ys: list[float]
    low: list[float] | None = None
    high: list[float] | None = None
    dots: bool = False
    index: int = 0  # its optimizer's place: the same colour in every figure
    dashed: bool = False  # drawn dashed whatever its index (a validation curve)


@dataclass
class Figure:
    name: str  # file stem: plots/<name>.png and .svg
    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    log_x: bool = False
    log_y: bool = False
    note: str = ""
    y_range: tuple[float, float] | None = None
    legend: str = "top-right"  # or "top-left", where the curves leave room
    # A loss map under the series: (xs, ys, values), values[i, j] at (xs[i], ys[j]), shown
    # as log10 of the loss in colour under its contour lines (trainers.landscape).
    loss_map: tuple | None = None


@dataclass
class Report:
    result: object
    table: list[dict] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    profile: dict[str, list[float]] = field(default_factory=dict)
    taus: list[float] = field(default_factory=list)
    best_of_k: dict[tuple[str, str], list[float]] = field(default_factory=dict)


def _name(optimizer: str) -> str:
    return catalog.optimizer_info(optimizer).display_name


def _criterion_text(criterion: str) -> str:
    return criterion.replace("_", " ")


def _costs(trials, criterion: str) -> list[float]:
    return [tuning.score(t.row, criterion) if t.row is not None else math.inf for t in trials]


def _number(value: float, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "never" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def build(result) -> Report:
    spec = result.spec
    criterion = spec.criterion
    made = Report(result)
    steps_costs: dict[str, dict[str, float]] = {}
    for problem in spec.problems:
        summaries = {}
        for optimizer in spec.optimizers:
            seeded = result.of(problem.name, optimizer, "seed")
            costs = _costs(seeded, criterion)
            interval = tuning.median_interval(costs, seed=spec.seed) if costs else None
            steps = [
                math.inf if t.row is None or t.row.step_to_target is None else t.row.step_to_target
                for t in seeded
            ]
            summaries[optimizer] = (seeded, interval, steps)
        finite = {o: s[1] for o, s in summaries.items() if s[1] is not None}
        leader = min(finite, key=lambda o: finite[o][0]) if finite else None
        tuned_best = min(
            (
                c
                for o in spec.optimizers
                for c in _costs(result.of(problem.name, o, "tune"), criterion)
            ),
            default=math.inf,
        )
        steps_costs[problem.name] = {}
        for optimizer in spec.optimizers:
            seeded, interval, steps = summaries[optimizer]
            best = result.best(problem.name, optimizer)
            tuned = _costs(result.of(problem.name, optimizer, "tune"), criterion)
            good = sum(
                1
                for c in tuned
                if math.isfinite(c)
                and math.isfinite(tuned_best)
                and c <= tuned_best + WITHIN * abs(tuned_best)
            )
            median_steps = float(np.median(steps)) if steps else math.inf
            steps_costs[problem.name][optimizer] = (
                median_steps if problem.target is not None else math.inf
            )
            seconds = [t.seconds_to_target for t in seeded]
            own = bool(seeded) and all(t.clock == "own" for t in seeded)
            if interval is None:
                performance, noise = "every trial failed or diverged", "-"
            else:
                performance = (
                    f"{_number(interval[0])} ({_number(interval[1])}-{_number(interval[2])})"
                )
                if optimizer == leader:
                    noise = "best"
                elif tuning.overlap(interval, finite[leader]):
                    noise = "within seed noise"
                else:
                    noise = f"worse than {_name(leader)}"
            speed = "-" if problem.target is None else _number(median_steps)
            if problem.target is not None and own and math.isfinite(median_steps):
                speed += f" ({_number(float(np.median(seconds)), 3)} s)"
            made.table.append(
                {
                    "problem": problem.name,
                    "optimizer": _name(optimizer),
                    "setting": "-"
                    if best is None
                    else _setting(best.settings) + _edge(best, spec.space(optimizer)),
                    "performance": performance,
                    "speed": speed,
                    "tuneability": f"{good}/{len(tuned)}",
                    "noise": noise,
                    "median": None if interval is None else interval[0],
                    "low": None if interval is None else interval[1],
                    "high": None if interval is None else interval[2],
                    "steps_to_target": median_steps,
                    "target": problem.target,
                    "reached": f"{sum(math.isfinite(s) for s in steps)}/{len(steps)}",
                }
            )
            if tuned:
                made.best_of_k[(problem.name, optimizer)] = [
                    tuning.expected_best_of_k(tuned, k) for k in range(1, len(tuned) + 1)
                ]
        made.figures.append(_curves_figure(result, problem))
        made.figures.append(_sensitivity_figure(result, problem))
        made.figures.append(_best_of_k_figure(made, problem, spec))
    made.taus = profile_taus(steps_costs)
    made.profile = tuning.performance_profile(steps_costs, made.taus)
    made.figures.append(_profile_figure(made, spec))
    return made


def profile_taus(costs: dict[str, dict[str, float]]) -> list[float]:
    """Where the performance profiles step: 1, every optimizer's ratio to the best on each
    problem, and a last point past the largest (the profiles are flat after it)."""
    ratios = {1.0}
    for row in costs.values():
        best = min(row.values())
        if math.isfinite(best) and best > 0:
            ratios |= {c / best for c in row.values() if math.isfinite(c)}
    found = sorted(ratios)
    return found + [found[-1] * 1.5 if found[-1] > 1 else 2.0]


def _edge(best, space) -> str:
    """ " (at the top of its range)" where the best trial sits on an end of a searched range:
    the best may lie beyond it."""
    for axis in space:
        value = best.settings.get(axis.name)
        if value is None or not axis.is_range:
            continue
        if math.isclose(value, axis.high, rel_tol=1e-6):
            return " (at the top of its range)"
        if math.isclose(value, axis.low, rel_tol=1e-6):
            return " (at the bottom of its range)"
    return ""


def _setting(settings: dict) -> str:
    return " ".join(f"{'lr' if k == 'learning_rate' else k}={v:.3g}" for k, v in settings.items())


def _curves_figure(result, problem) -> Figure:
    from trainers.benchmark import epoch_matrix

    spec = result.spec
    series = []
    validation = any(t.epoch_val_losses for t in result.trials if t.problem == problem.name)
    for index, optimizer in enumerate(spec.optimizers):
        matrix = epoch_matrix(result.of(problem.name, optimizer, "seed"), validation)
        if matrix.size == 0:
            continue
        median, low, high = tuning.band(matrix, seed=spec.seed)
        epochs = list(range(1, matrix.shape[1] + 1))
        series.append(
            Series(
                _name(optimizer), epochs, median.tolist(), low.tolist(), high.tolist(), index=index
            )
        )
    what = "validation loss" if validation else "training loss"
    return Figure(
        f"curves_{problem.name}",
        f"{problem.name}: {what} of each optimizer's best setting, median over {spec.seeds} seeds",
        "epoch",
        what,
        series,
        log_y=True,
        note="Bands: 95% bootstrap interval of the median over seeds.",
    )


def _sensitivity_figure(result, problem) -> Figure:
    spec = result.spec
    series, misses = [], []
    for index, optimizer in enumerate(spec.optimizers):
        tuned = result.of(problem.name, optimizer, "tune")
        points = sorted(
            (t.settings["learning_rate"], tuning.score(t.row, spec.criterion))
            for t in tuned
            if t.row is not None and "learning_rate" in t.settings
        )
        finite = [(x, y) for x, y in points if math.isfinite(y)]
        if len(finite) < len(points):
            misses.append(f"{_name(optimizer)} {len(points) - len(finite)}")
        if finite:
            series.append(
                Series(
                    _name(optimizer),
                    [x for x, _ in finite],
                    [y for _, y in finite],
                    dots=True,
                    index=index,
                )
            )
    note = f"Each dot is one tuning trial (seed {spec.seed})."
    if misses:
        note += " Diverged or failed, not drawn: " + ", ".join(misses) + "."
    return Figure(
        f"sensitivity_{problem.name}",
        f"{problem.name}: {_criterion_text(spec.criterion)} against the learning rate",
        "learning rate",
        _criterion_text(spec.criterion),
        series,
        log_x=True,
        log_y=not spec.criterion.endswith("metric"),
        note=note,
        # A loss's valley rises highest at the largest rates, at the right: the legend goes
        # where the smallest rates leave the top free.
        legend="top-right" if spec.criterion.endswith("metric") else "top-left",
    )


def _best_of_k_figure(made: Report, problem, spec) -> Figure:
    series = []
    for index, optimizer in enumerate(spec.optimizers):
        values = made.best_of_k.get((problem.name, optimizer))
        if values and all(math.isfinite(v) for v in values):
            series.append(
                Series(
                    _name(optimizer),
                    list(range(1, len(values) + 1)),
                    values,
                    dots=True,
                    index=index,
                )
            )
    return Figure(
        f"best_of_k_{problem.name}",
        f"{problem.name}: expected best {_criterion_text(spec.criterion)} of k trials",
        "tuning budget k (trials)",
        _criterion_text(spec.criterion),
        series,
        log_y=not spec.criterion.endswith("metric"),
        note="Exact expectation over every draw of k of the trials (order statistics); an "
        "optimizer whose expectation is infinite (a diverged trial can be the best of k) is "
        "not drawn.",
    )


def _profile_figure(made: Report, spec) -> Figure:
    series = []
    for index, optimizer in enumerate(spec.optimizers):
        if optimizer not in made.profile:
            continue
        # A step function of tau: each value holds until the next tau.
        xs, ys = [], []
        values = made.profile[optimizer]
        for i, (tau, value) in enumerate(zip(made.taus, values, strict=True)):
            xs.append(tau)
            ys.append(value)
            if i + 1 < len(made.taus):
                xs.append(made.taus[i + 1])
                ys.append(value)
        series.append(Series(_name(optimizer), xs, ys, index=index))
    return Figure(
        "performance_profile",
        "Performance profile: problems solved within a factor tau of the fastest",
        "tau (steps to target / the fewest any optimizer took)",
        "fraction of problems",
        series,
        log_x=True,
        note="Speed is the median over seeds of the steps to each problem's target; a miss "
        "never counts as solved.",
        y_range=(0.0, 1.0),
    )


# ================================================================================= writing
TRIAL_FIGURES = (
    "status",
    "epochs_done",
    "final_loss",
    "best_loss",
    "final_val_loss",
    "best_val_loss",
    "metric",
    "final_metric",
    "final_val_metric",
    "wall_time_s",
    "step_to_target",
)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([[_cell(v) for v in row] for row in rows])


def write(made: Report, out: Path, pictures: dict | None = None) -> dict[str, Path]:
    """Write the report into folder `out`: trials.csv, summary.csv, profile.csv,
    best_of_k.csv, spec.json, report.html (and the pictures already in out/plots). Raises
    TrainingError naming a file that cannot be written."""
    out = Path(out)
    result = made.result
    spec = result.spec
    names = sorted({name for t in result.trials for name in t.settings})
    paths = {
        "trials": out / "trials.csv",
        "summary": out / "summary.csv",
        "profile": out / "profile.csv",
        "best_of_k": out / "best_of_k.csv",
        "spec": out / "spec.json",
        "html": out / "report.html",
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        rows = []
        for t in result.trials:
            row = t.row
            figures = [getattr(row, f) if row is not None else None for f in TRIAL_FIGURES]
            if row is None:
                figures[0] = "skipped"
            rows.append(
                [t.problem, t.optimizer, t.phase, t.seed]
                + [t.settings.get(n) for n in names]
                + figures
                + [t.seconds_to_target if t.clock == "own" else None, t.clock, t.label]
            )
        _csv(
            paths["trials"],
            ["problem", "optimizer", "phase", "seed", *names, *TRIAL_FIGURES]
            + ["seconds_to_target", "clock", "label"],
            rows,
        )
        keys = ["problem", "optimizer", "setting", "median", "low", "high", "noise"]
        keys += ["target", "steps_to_target", "reached", "tuneability"]
        _csv(paths["summary"], keys, [[r[k] for k in keys] for r in made.table])
        optimizers = list(made.profile)
        _csv(
            paths["profile"],
            ["tau", *optimizers],
            [[tau, *(made.profile[o][i] for o in optimizers)] for i, tau in enumerate(made.taus)],
        )
        _csv(
            paths["best_of_k"],
            ["problem", "optimizer", "k", "expected_best"],
            [
                [p, o, k + 1, v]
                for (p, o), values in made.best_of_k.items()
                for k, v in enumerate(values)
            ],
        )
        paths["spec"].write_text(json.dumps(spec_record(spec), indent=2) + "\n", encoding="utf-8")
        paths["html"].write_text(page(made, pictures or {}), encoding="utf-8")
    except OSError as exc:
        raise TrainingError(
            f"Cannot write the report in {out}: {exc.strerror or exc}. Choose a folder you can "
            f"write to."
        ) from None
    return paths


def spec_record(spec) -> dict:
    """What the benchmark was, enough to run it again bit for bit."""
    return {
        "problems": [
            {"name": p.name, "config": p.config.to_dict(), "target": p.target}
            for p in spec.problems
        ],
        "optimizers": spec.optimizers,
        "spaces": {o: [a.describe() for a in spec.space(o)] for o in spec.optimizers},
        "trials": spec.trials,
        "rule": spec.rule,
        "seeds": spec.seed_values,
        "tuning_seed": spec.seed,
        "epochs": spec.epochs,
        "seconds": spec.seconds,
        "criterion": spec.criterion,
        "seed": spec.seed,
        "engine": spec.engine,
    }


def page(made: Report, pictures: dict) -> str:
    """The report as one HTML page: every figure's SVG inline, so it opens anywhere."""
    spec = made.result.spec
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Descent benchmark</title><style>",
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#1e1e1e}",
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:left}td.n{text-align:right}figure{margin:1.5em 0}svg{max-width:100%;"
        "height:auto}.note{color:#555;font-size:90%}",
        "</style></head><body><h1>Descent benchmark</h1>",
        "<p>",
        e(
            f"{len(spec.problems)} problems x {len(spec.optimizers)} optimizers; {spec.trials} "
            f"trials per optimizer ({spec.rule}), the best by {_criterion_text(spec.criterion)} "
            f"rerun over {spec.seeds} seeds ({', '.join(map(str, spec.seed_values))}); tuning "
            f"seed {spec.seed}."
        ),
        "</p><ul>",
    ]
    for optimizer in spec.optimizers:
        axes = "; ".join(a.describe() for a in spec.space(optimizer))
        parts.append(f"<li>{e(_name(optimizer))}: {e(axes)}</li>")
    parts.append("</ul><h2>Results</h2><table><tr>")
    heads = ["problem", "optimizer", "best setting", f"median {spec.criterion} (95% CI)"]
    heads += ["steps to target", "trials within 10% of the best", "against the best"]
    parts += [f"<th>{e(h)}</th>" for h in heads]
    parts.append("</tr>")
    for row in made.table:
        cells = [row[k] for k in ("problem", "optimizer", "setting", "performance", "speed")]
        cells += [row["tuneability"], row["noise"]]
        parts.append(
            "<tr>"
            + "".join(
                f"<td class='n'>{e(str(c))}</td>" if i in (3, 4, 5) else f"<td>{e(str(c))}</td>"
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    parts.append("</table>")
    parts.append(
        "<p class='note'>Within seed noise: the 95% bootstrap intervals of the two medians "
        "overlap. Targets: "
        + e(", ".join(f"{p.name} {p.target:g}" for p in spec.problems if p.target is not None))
        + " (training loss, smoothed over about 10 steps).</p>"
    )
    for note in made.result.engine_notes:
        parts.append(f"<p class='note'>{e(note)}</p>")
    parts.append("<h2>Figures</h2>")
    for figure in made.figures:
        parts.append(f"<figure><figcaption><b>{e(figure.title)}</b></figcaption>")
        svg = pictures.get(figure.name, (None, None))[1]
        if svg is not None:
            text = svg.read_text(encoding="utf-8") if isinstance(svg, Path) else str(svg)
            parts.append(text[text.find("<svg") :] if "<svg" in text else "")
        else:
            parts.append("<p class='note'>(not drawn: see the CSV files beside this page)</p>")
        parts.append(f"<p class='note'>{e(figure.note)}</p></figure>")
    parts.append(
        "<p class='note'>Every trial: trials.csv; this table: summary.csv; the profiles: "
        "profile.csv; best of k: best_of_k.csv; the benchmark's settings: spec.json.</p>"
    )
    parts.append("</body></html>\n")
    return "".join(parts)


__all__ = ["Figure", "Report", "Series", "build", "page", "write"]
