"""Nothing stale, in the real window: when the dataset changes, a run starts or a comparison
starts, every title, banner, bar and status line says only what is true now."""

from __future__ import annotations

from tests.gui.training.conftest import made_run, train_replayed
from trainers.events import Failed, RunKey


def title(plot) -> str:
    return plot.getPlotItem().titleLabel.text


def legend_names(plot) -> list[str]:
    return [label.text for _, label in plot.legend.items]


def test_the_metric_plot_is_titled_for_the_curves_it_shows(replayed):
    training = replayed.training
    replayed.select_dataset("spirals")
    assert title(training.metric_plot) == "Accuracy by epoch"
    train_replayed(replayed, metric="accuracy", task="multiclass")
    assert training.metric_plot.train_buf.n == 3
    # A regression dataset chosen after the run: its accuracy curve keeps its own title.
    replayed.select_dataset("sine")
    assert replayed.panel.task == "regression"
    assert title(training.metric_plot) == "Accuracy by epoch"
    assert training.metric_plot.getAxis("left").labelText == "accuracy"
    assert training.run_label.text().startswith("Spirals · ")
    # The next run is of the regression: titled for its metric from its start.
    replayed.start_training()
    assert training.run_label.text() == ""  # the last run's words go with its curves
    assert title(training.metric_plot) == "Mean absolute error by epoch"
    config = replayed.worker.requests[-1][1]
    replayed.worker.play(made_run(replayed.worker.job, config, metric="mae", task="regression"))
    assert title(training.metric_plot) == "Mean absolute error by epoch"
    # On the standardized target, and labelled so (test_advice_window checks the units).
    assert training.metric_plot.getAxis("left").labelText.startswith(
        "MAE (standardized target, std "
    )


def test_without_a_run_shown_the_metric_title_follows_the_form(replayed):
    replayed.select_dataset("sine")
    assert title(replayed.training.metric_plot) == "Mean absolute error by epoch"
    replayed.select_dataset("moons")
    assert title(replayed.training.metric_plot) == "Accuracy by epoch"


def test_the_legend_names_a_validation_curve_only_for_a_run_with_one(replayed):
    plots = (replayed.training.epoch_plot, replayed.training.metric_plot)
    train_replayed(replayed, validation=False)
    assert [legend_names(plot) for plot in plots] == [["training"], ["training"]]
    train_replayed(replayed, validation=True)
    assert [legend_names(plot) for plot in plots] == [["training", "validation"]] * 2


def test_the_status_line_names_the_training_and_validation_losses(replayed):
    train_replayed(replayed, validation=True)
    assert replayed.status_label.text() == (
        "Completed 2 epochs, final loss: training 0.4, validation 0.5 (1.2 s)"
    )
    train_replayed(replayed, validation=False)
    assert replayed.status_label.text() == "Completed 2 epochs, final loss: training 0.4 (1.2 s)"


def describe(window, error: str = "", task: str = "binary") -> None:
    """Answer the panel's newest request to describe its dataset, as the worker does."""
    kind, request = [r for r in window.worker.requests if r[0] == "describe"][-1]
    if error:
        window.worker.sig_dataset.emit({"request": request, "error": error})
    else:
        window.worker.sig_dataset.emit(
            {
                "request": request,
                "summary": "30 samples (24 train, 6 validation) · 2 features · 2 classes",
                "task": task,
                "n_classes": 2,
                "input_shape": (2,),
            }
        )


def test_a_bad_files_message_goes_once_a_good_file_loads(qtbot, replayed, tmp_path):
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text("a,b,label\n1,2,x\n")
    good.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(30)))
    banner = replayed.banner
    replayed.open_dataset_file(str(bad))
    describe(replayed, error="bad.csv, row 3: the column 'b' holds 'oops', not a number.")
    assert banner.isVisible() and banner.severity == "error"
    replayed.open_dataset_file(str(good))
    describe(replayed)
    assert not banner.isVisible()
    # Also when Train was pressed on the bad file and the run could not start.
    replayed.open_dataset_file(str(bad))
    describe(replayed, error="bad.csv, row 3: the column 'b' holds 'oops', not a number.")
    replayed.start_training()
    replayed.worker.play([Failed(RunKey(replayed.worker.job, 0), "Cannot read bad.csv, row 3.")])
    replayed.worker.busy = False
    assert banner.isVisible() and "bad.csv" in banner.label.text()
    replayed.open_dataset_file(str(good))
    describe(replayed)
    assert not banner.isVisible()


def test_a_run_message_stays_when_the_data_is_described_again(replayed):
    train_replayed(replayed, diverge=True)
    assert replayed.banner.isVisible() and replayed.banner.severity == "warning"
    replayed.panel.request_description()
    describe(replayed)
    assert replayed.banner.isVisible()  # it speaks of the curves still shown


def test_a_comparison_clears_the_last_runs_banner_and_bar(qtbot, replayed):
    train_replayed(replayed, diverge=True)
    progress = replayed.controls.progress
    assert replayed.banner.isVisible() and progress.format() == "Diverged"
    assert replayed.compare_view.start_comparison()
    assert not replayed.banner.isVisible()
    assert progress.format() == "Comparing: see the Compare tab" and progress.value() == 0
    replayed.compare_view._on_compare_finished([])
    assert progress.format() == "Not started"
