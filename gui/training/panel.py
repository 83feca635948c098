"""The side panel: dataset, model, loss, optimizer and training choices, built from the catalog.

Everything here is read from `trainers.catalog` and `trainers.config`, which import no
TensorFlow, so the whole panel is built and filled before the engine has loaded. `build_config()`
turns the choices into a `RunConfig`; the engine validates it. The panel describes a dataset it
cannot know the task of (a user's file) by asking the worker (`sig_describe_requested`), and the
window hands the answer back to `show_description`. A little over ~500 lines: five groups of
controls and the rules that tie them (a dataset's task decides its losses), kept together so
the panel reads as one form.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui import recent
from gui import settings as remembered
from gui.settings import Setting
from gui.training.csv_choices import CsvChoices
from gui.widgets import guard_inputs, named
from gui.widgets.forms import ParamForm
from trainers import catalog
from trainers.config import (
    ACTIVATIONS,
    MAX_SHARPNESS_EVERY,
    SCHEDULE_HELP,
    SCHEDULES,
    RunConfig,
)
from trainers.errors import DescentError

KIND_TITLES = {
    "generated": "Generated (2-D and 1-D)",
    "scikit-learn": "Real data (scikit-learn)",
    "keras": "Keras datasets (cache)",
}
NETWORKS = (("MLP (dense layers)", "mlp"), ("CNN (images)", "cnn"))
"""The default network for images (trainers.config.ARCHITECTURES); other data trains an MLP."""
VARIANTS = (
    ("minibatch", "Mini-batch gradient descent"),
    ("batch", "Batch gradient descent (all samples)"),
    ("stochastic", "Stochastic gradient descent (1 sample)"),
)
SETTINGS = (
    Setting("form/dataset", "dataset_combo", "moons", name="dataset"),
    Setting("form/dataset_options/{dataset}", "dataset_form"),
    Setting("form/optimizer", "optimizer_combo", "adam", name="optimizer"),
    Setting("form/hyper/{optimizer}", "optimizer_form"),
    Setting("form/loss", "loss_combo"),
    Setting("form/epochs", "epochs_spin", 30),
    Setting("form/variant", "variant_combo", "minibatch"),
    Setting("form/batch_size", "batch_spin", 32),
    Setting("form/schedule", "schedule_combo", "constant", by_text=True),
    Setting("form/seed", "seed_spin", 0),
    Setting("form/validation", "validation_spin", 0.2),
    Setting("form/hidden", "hidden_edit", "16, 16"),
    Setting("form/activation", "activation_combo", "relu", by_text=True),
    Setting("form/sharpness_every", "sharpness_spin", 0),
)
"""What the panel remembers, in the order it is restored (a dataset before its options, an
optimizer before its hyperparameters)."""
FILE_ONLY_SKIPPED = {"dataset_combo", "dataset_form"}  # a user's file is not reopened at start


def mono_font():
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class SidePanel(QWidget):
    """The choices of a run, one group each: Dataset, Model, Loss, Optimizer, Training."""

    sig_describe_requested = Signal(object)
    """The dataset (or its options) changed: a request dict for the worker to describe it."""
    sig_explanation_changed = Signal()
    """The optimizer or loss changed: the page beside the curves should follow."""
    sig_task_changed = Signal(str)
    """The dataset's task is known or changed: regression, binary or multiclass."""
    sig_message = Signal(str, str)
    """Something to tell the user (text, severity), e.g. a CSV whose columns cannot be read."""

    def __init__(self, settings: QSettings, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.task = "binary"
        self.model_path: str | None = None
        self.file_datasets: set[str] = set()
        self.engine_ready = False
        self._pending_description: dict | None = None
        layout = QVBoxLayout(self)
        for group in (
            self._dataset_group(),
            self._model_group(),
            self._loss_group(),
            self._optimizer_group(),
            self._training_group(),
        ):
            layout.addWidget(group)
        layout.addStretch(1)
        self._fill_from_catalog()
        self.select_dataset("moons")
        self._on_optimizer_changed()
        guard_inputs(self)  # no wheel changes a box it passes; out-of-range typing says why

    # ============================================================================== groups
    def _dataset_group(self) -> QGroupBox:
        group = QGroupBox("Dataset")
        layout = QVBoxLayout(group)
        row = QHBoxLayout()
        self.dataset_combo = named(QComboBox(), "datasetCombo", "Dataset")
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_changed)
        self.open_button = named(
            QPushButton("Open..."),
            "openFileButton",
            "Open data file",
            tip="A CSV, an NPZ with x and y, or a folder of class folders",
        )
        open_menu = QMenu(self.open_button)
        open_menu.addAction("CSV or NPZ file...", self.choose_data_file)
        open_menu.addAction("Folder of images...", self.choose_image_folder)
        self.open_button.setMenu(open_menu)
        row.addWidget(self.dataset_combo, 1)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        self.target_label = QLabel("Target column")
        self.target_combo = named(QComboBox(), "targetCombo", "Target column")
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        self.target_label.setBuddy(self.target_combo)
        self.csv_choices = CsvChoices(self.target_label, self.target_combo)
        self.csv_choices.sig_changed.connect(self.request_description)
        layout.addWidget(self.csv_choices)
        self.dataset_form = ParamForm()
        self.dataset_form.sig_changed.connect(self.request_description)
        layout.addWidget(self.dataset_form)
        self.dataset_summary = named(QLabel(""), "datasetSummary", "Dataset summary")
        self.dataset_summary.setWordWrap(True)
        layout.addWidget(self.dataset_summary)
        self.csv_choices.setVisible(False)
        return group

    def _model_group(self) -> QGroupBox:
        group = QGroupBox("Model")
        form = QFormLayout(group)
        self.hidden_edit = named(
            QLineEdit("16, 16"),
            "hiddenLayersEdit",
            "Hidden layers",
            tip="Units of each hidden layer, e.g. 32, 32 (empty: none)",
        )
        form.addRow("Hidden layers", self.hidden_edit)
        self.activation_combo = named(QComboBox(), "activationCombo", "Activation")
        form.addRow("Activation", self.activation_combo)
        self.network_combo = named(QComboBox(), "networkCombo", "Network")
        for text, value in NETWORKS:
            self.network_combo.addItem(text, value)
        self.network_combo.currentIndexChanged.connect(self._on_network_changed)
        form.addRow("Network", self.network_combo)
        self._image_data = False  # the chosen dataset holds images (known once described)
        self._image_network = "cnn"
        row = QHBoxLayout()
        self.load_model_button = named(
            QPushButton("Load .keras model..."), "loadModelButton", "Load Keras model"
        )
        self.load_model_button.clicked.connect(self.choose_model_file)
        self.clear_model_button = named(QToolButton(), "clearModelButton", "Use default model")
        self.clear_model_button.setText("\u2715")
        self.clear_model_button.setToolTip("Back to the default model")
        self.clear_model_button.clicked.connect(lambda: self.set_model_path(None))
        row.addWidget(self.load_model_button, 1)
        row.addWidget(self.clear_model_button)
        form.addRow(row)
        self.model_label = named(QLabel(""), "modelLabel", "Loaded model")
        self.model_label.setWordWrap(True)
        form.addRow(self.model_label)
        self.set_model_path(None)
        return group

    def _loss_group(self) -> QGroupBox:
        group = QGroupBox("Loss")
        layout = QVBoxLayout(group)
        self.loss_combo = named(QComboBox(), "lossCombo", "Loss")
        self.loss_combo.currentIndexChanged.connect(self._on_loss_changed)
        layout.addWidget(self.loss_combo)
        self.loss_form = ParamForm()
        layout.addWidget(self.loss_form)
        self.loss_equation = named(QLabel(""), "lossEquation", "Loss formula")
        self.loss_equation.setWordWrap(True)
        self.loss_equation.setFont(mono_font())
        layout.addWidget(self.loss_equation)
        return group

    def _optimizer_group(self) -> QGroupBox:
        group = QGroupBox("Optimizer")
        layout = QVBoxLayout(group)
        self.optimizer_combo = named(QComboBox(), "optimizerCombo", "Optimizer")
        self.optimizer_combo.currentIndexChanged.connect(self._on_optimizer_changed)
        layout.addWidget(self.optimizer_combo)
        self.optimizer_form = ParamForm()
        self.optimizer_form.sig_changed.connect(self._update_equation)
        layout.addWidget(self.optimizer_form)
        self.equation_label = named(QLabel(""), "equationLabel", "Update rule")
        self.equation_label.setFont(mono_font())
        self.equation_label.setWordWrap(True)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.equation_label)
        self.optimizer_summary = named(QLabel(""), "optimizerSummary", "About the optimizer")
        self.optimizer_summary.setWordWrap(True)
        layout.addWidget(self.optimizer_summary)
        return group

    def _training_group(self) -> QGroupBox:
        group = QGroupBox("Training")
        form = QFormLayout(group)
        self.epochs_spin = named(QSpinBox(), "epochsSpin", "Epochs")
        self.epochs_spin.setRange(1, 100_000)
        self.epochs_spin.setValue(30)
        form.addRow("Epochs", self.epochs_spin)
        self.variant_combo = named(QComboBox(), "variantCombo", "Gradient descent variant")
        for key, text in VARIANTS:
            self.variant_combo.addItem(text, key)
        self.variant_combo.setToolTip(
            "Batch: one update per epoch over all samples (smooth). Stochastic: one update per "
            "sample (noisy). Mini-batch: in between."
        )
        self.variant_combo.currentIndexChanged.connect(self._on_variant_changed)
        form.addRow("Variant", self.variant_combo)
        self.batch_spin = named(QSpinBox(), "batchSizeSpin", "Batch size")
        self.batch_spin.setRange(1, 1_000_000)
        self.batch_spin.setValue(32)
        form.addRow("Batch size", self.batch_spin)
        self.schedule_combo = named(QComboBox(), "scheduleCombo", "Learning-rate schedule")
        form.addRow("LR schedule", self.schedule_combo)
        self.seed_spin = named(QSpinBox(), "seedSpin", "Seed")
        self.seed_spin.setRange(0, 2**31 - 1)
        form.addRow("Seed", self.seed_spin)
        self.validation_spin = named(QDoubleSpinBox(), "validationSpin", "Validation fraction")
        self.validation_spin.setRange(0.0, 0.9)
        self.validation_spin.setSingleStep(0.05)
        self.validation_spin.setValue(0.2)
        form.addRow("Validation", self.validation_spin)
        self.sharpness_spin = named(
            QSpinBox(),
            "sharpnessEverySpin",
            "Sharpness every N steps",
            tip="Measure the sharpness λmax, the largest eigenvalue of the loss's Hessian (by "
            "power iteration on a fixed batch of the training data), at the start and every N "
            "steps, against the optimizer's stability threshold (2/η for SGD): see the "
            "Sharpness tab. Each measurement costs several extra passes over that batch, so "
            "the run takes longer. Off (0) by default.",
        )
        self.sharpness_spin.setRange(0, MAX_SHARPNESS_EVERY)
        self.sharpness_spin.setSpecialValueText("off")
        self.sharpness_spin.setSuffix(" steps")
        form.addRow("Sharpness every", self.sharpness_spin)
        # Enabled by set_device once the engine has said whether TensorFlow sees a GPU.
        self.gpus_check = named(QCheckBox("Use all GPUs"), "allGpusCheck", "Use all GPUs")
        self.gpus_check.setEnabled(False)
        self.gpus_check.setToolTip("Waiting for TensorFlow to list the GPUs...")
        form.addRow("", self.gpus_check)
        return group

    def _fill_from_catalog(self) -> None:
        """The datasets, optimizers, activations and schedules the catalog offers."""
        combo = self.dataset_combo
        combo.blockSignals(True)
        for kind, title in KIND_TITLES.items():
            combo.addItem(title)
            header = combo.model().item(combo.count() - 1)
            header.setEnabled(False)
            font = header.font()
            font.setBold(True)
            header.setFont(font)
            for info in catalog.DATASETS:
                if info.kind == kind:
                    combo.addItem(f"   {info.display_name}", info.name)
                    combo.setItemData(
                        combo.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole
                    )
        combo.blockSignals(False)
        self.activation_combo.addItems(list(ACTIVATIONS))
        for name in SCHEDULES:
            self.schedule_combo.addItem(name)
            index = self.schedule_combo.count() - 1
            self.schedule_combo.setItemData(index, SCHEDULE_HELP[name], Qt.ItemDataRole.ToolTipRole)
        self.optimizer_combo.blockSignals(True)
        for info in catalog.OPTIMIZERS:
            self.optimizer_combo.addItem(info.display_name, info.name)
        self.optimizer_combo.blockSignals(False)

    def refresh_optimizers(self) -> None:
        """Offer the optimizers registered since the form was built (plugins), in catalog
        order after ours; the chosen one stays chosen."""
        self.optimizer_combo.blockSignals(True)
        for info in catalog.OPTIMIZERS:
            if self.optimizer_combo.findData(info.name) < 0:
                self.optimizer_combo.addItem(info.display_name, info.name)
        self.optimizer_combo.blockSignals(False)

    # ============================================================================ settings
    def restore_settings(self) -> None:
        """The choices of the last session (the defaults where none or a bad one is stored)."""
        remembered.restore(self, SETTINGS, self.settings)

    def save_settings(self) -> None:
        table = SETTINGS
        if self.current_dataset() in self.file_datasets:
            table = [s for s in SETTINGS if s.widget not in FILE_ONLY_SKIPPED]
        remembered.save(self, table, self.settings)

    # ============================================================================= dataset
    def current_dataset(self) -> str | None:
        """The chosen built-in dataset's name or data file's path (None: a group title)."""
        return self.dataset_combo.currentData()

    def is_file(self, dataset: str | None) -> bool:
        return dataset in self.file_datasets

    def select_dataset(self, name: str) -> bool:
        """Select a built-in dataset by name or a file already opened; True when found."""
        return self.select_by_data(self.dataset_combo, name)

    @staticmethod
    def select_by_data(combo: QComboBox, value: str) -> bool:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)
        return index >= 0

    def open_dataset_file(self, path: str) -> None:
        """Add a user file or image folder to the dataset combo and select it."""
        path = str(path)
        if not self.select_dataset(path):
            self.file_datasets.add(path)
            self.dataset_combo.addItem(f"\U0001f4c4 {Path(path).name}", path)
            self.dataset_combo.setItemData(
                self.dataset_combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole
            )
            self.dataset_combo.setCurrentIndex(self.dataset_combo.count() - 1)

    @Slot()
    def choose_data_file(self) -> None:
        recent.ask(
            self,
            self.settings,
            "data",
            "Open a data file",
            self.open_dataset_file,
            pattern="Data (*.csv *.npz);;All files (*)",
        )

    @Slot()
    def choose_image_folder(self) -> None:
        recent.ask(
            self,
            self.settings,
            "images",
            "Open a folder of images (one sub-folder per class)",
            self.open_dataset_file,
            folder=True,
        )

    @Slot()
    def _on_dataset_changed(self, *_) -> None:
        name = self.current_dataset()
        if not name:
            return
        if not self.is_file(name):
            info = catalog.dataset_info(name)
            self.dataset_form.set_params(info.params, info.display_name)
            self.dataset_summary.setText(f"{info.description} · {info.task}")
            self.csv_choices.setVisible(False)
            self.set_task(info.task)
        else:
            self.dataset_form.set_params((), "")
            self.dataset_summary.setText(f"{Path(name).name}: reading...")
            is_csv = name.lower().endswith(".csv")
            self.csv_choices.setVisible(is_csv)
            if is_csv:
                self._fill_target_columns(name)
        self._set_image_data(False)  # until the description says
        self.request_description()

    def _is_csv_shown(self) -> bool:
        """A CSV file is chosen: its target and choices are shown (hidden otherwise)."""
        return not self.csv_choices.isHidden()

    def _fill_target_columns(self, path: str) -> None:
        from trainers.datasets.files import csv_columns  # reads the header only

        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        try:
            columns = csv_columns(path)
        except DescentError as exc:
            self.sig_message.emit(str(exc), "error")
            columns = []
        self.target_combo.addItems(columns)
        if columns:
            self.target_combo.setCurrentIndex(len(columns) - 1)
        self.target_combo.blockSignals(False)
        self.csv_choices.set_columns(columns, self.target_combo.currentText())

    @Slot()
    def _on_target_changed(self, *_) -> None:
        self.csv_choices.set_target(self.target_combo.currentText())
        self.request_description()

    def _dataset_options(self) -> dict:
        """The chosen dataset's options: the form's, and a CSV's choices."""
        options = self.dataset_form.values()
        if self._is_csv_shown():
            options.update(self.csv_choices.options())
        return options

    def dataset_request(self) -> dict | None:
        """What the worker needs to load the chosen dataset and describe it."""
        name = self.current_dataset()
        if not name:
            return None
        request = {
            "dataset": name,
            "options": self._dataset_options(),
            "seed": self.seed_spin.value(),
            "validation_split": self.validation_spin.value(),
        }
        if self.is_file(name) and self._is_csv_shown() and self.target_combo.count():
            request["target"] = self.target_combo.currentText()
        return request

    @Slot()
    def request_description(self, *_) -> None:
        request = self.dataset_request()
        if request is None or not self.engine_ready:
            return
        self._pending_description = request
        self.sig_describe_requested.emit(request)

    def show_description(self, description: dict) -> bool:
        """Show the worker's description of the dataset; False for an answer to an older
        request, or for a dataset that failed to load (the window shows why)."""
        if description.get("request") != self._pending_description:
            return False
        if "error" in description:
            self.dataset_summary.setText("Cannot load this dataset: see the message above.")
            return False
        text = description["summary"]
        data = description.get("dataset")
        if self._is_csv_shown() and getattr(data, "description", ""):
            text += f"\n{data.description}"  # what was encoded, left out, dropped or filled
        self.dataset_summary.setText(text)
        self._set_image_data(len(description.get("input_shape", ())) == 3)
        self.set_task(description["task"])
        return True

    def set_task(self, task: str) -> None:
        """Show only the losses that fit `task`, keeping the current one when it fits."""
        self.task = task
        current = self.loss_combo.currentData()
        self.loss_combo.blockSignals(True)
        self.loss_combo.clear()
        for info in catalog.losses_for(task):
            self.loss_combo.addItem(info.display_name, info.name)
        index = self.loss_combo.findData(current)
        if index < 0:
            index = self.loss_combo.findData(catalog.DEFAULT_LOSS[task])
        self.loss_combo.setCurrentIndex(max(index, 0))
        self.loss_combo.blockSignals(False)
        self._on_loss_changed()
        self.sig_task_changed.emit(task)

    # ======================================================================== model, loss
    def set_model_path(self, path: str | None) -> None:
        self.model_path = path
        self.clear_model_button.setVisible(path is not None)
        self.hidden_edit.setEnabled(path is None)
        self.activation_combo.setEnabled(path is None)
        self.model_label.setText(
            f"Training {Path(path).name} (loaded in safe mode)" if path else ""
        )
        self.model_label.setVisible(path is not None)
        self._show_network()

    def _set_image_data(self, images: bool) -> None:
        self._image_data = images
        self._show_network()

    def _network_offered(self) -> bool:
        """Images, and the default network: MLP or CNN is a choice."""
        return self._image_data and self.model_path is None

    def _show_network(self) -> None:
        offered = self._network_offered()
        self.network_combo.blockSignals(True)
        self.select_by_data(self.network_combo, self._image_network if offered else "mlp")
        self.network_combo.blockSignals(False)
        self.network_combo.setEnabled(offered)
        self.network_combo.setToolTip(
            "MLP: dense layers on the flattened pixels. CNN: two convolution and pooling "
            "layers in front of the dense layers."
            if offered
            else "The loaded model keeps its own layers."
            if self.model_path
            else "A choice for images: this data trains an MLP."
        )

    def set_network(self, architecture: str) -> None:
        """Choose MLP or CNN for image data (a run's `architecture`; "auto" keeps the choice)."""
        if architecture in ("mlp", "cnn"):
            self._image_network = architecture
            self._show_network()

    @Slot()
    def _on_network_changed(self, *_) -> None:
        if self._network_offered():
            self._image_network = self.network_combo.currentData()

    @Slot()
    def choose_model_file(self) -> None:
        recent.ask(
            self,
            self.settings,
            "model",
            "Load a Keras model",
            self.set_model_path,
            pattern="Keras (*.keras)",
        )

    @Slot()
    def _on_loss_changed(self, *_) -> None:
        name = self.loss_combo.currentData()
        if not name:
            return
        info = catalog.loss_info(name)
        self.loss_form.set_params(info.params, info.display_name)
        self.loss_equation.setText(f"{info.equation}\n{info.summary}")
        self.sig_explanation_changed.emit()

    # =========================================================================== optimizer
    @Slot()
    def _on_optimizer_changed(self, *_) -> None:
        name = self.optimizer_combo.currentData()
        if not name:
            return
        info = catalog.optimizer_info(name)
        self.optimizer_form.set_params(info.params, info.display_name)
        remembered.restore(
            self, [s for s in SETTINGS if s.widget == "optimizer_form"], self.settings
        )
        self.optimizer_summary.setText(info.summary)
        self._update_equation()
        self.sig_explanation_changed.emit()

    @Slot()
    def _update_equation(self, *_) -> None:
        name = self.optimizer_combo.currentData()
        if not name:
            return
        text = catalog.optimizer_info(name).equation
        values = self.optimizer_form.values()
        if "ewma" in values:
            if values["ewma"]:
                note = "Form in use: v is an average of gradients (EQUATIONS.md)."
            else:
                # The heavy-ball form of Keras's and PyTorch's SGD(momentum=...).
                text = text.replace("(1 - beta) * g", "g")
                note = "Form in use: heavy-ball, v <- beta * v + g, as Keras and PyTorch."
            text = f"{text}\n{note}"
        self.equation_label.setText(text)

    # ============================================================================ training
    @Slot()
    def _on_variant_changed(self, *_) -> None:
        self.batch_spin.setEnabled(self.variant_combo.currentData() == "minibatch")

    def set_device(self, device: str) -> None:
        """The engine has loaded: offer all GPUs when TensorFlow sees some."""
        has_gpu = device.startswith("GPU")  # trainers.build.device_description()
        self.gpus_check.setEnabled(has_gpu)
        self.gpus_check.setToolTip(
            "Train on every GPU at once (tf.distribute.MirroredStrategy): each takes an equal "
            "share of every batch, so use a batch size that divides between them."
            if has_gpu
            else "TensorFlow sees no GPU on this machine, so runs train on the CPU. Install "
            "the GPU build of TensorFlow and its drivers to use GPUs."
        )

    def build_config(self) -> RunConfig:
        """The RunConfig the form describes (not yet validated)."""
        name = self.current_dataset()
        variant = self.variant_combo.currentData()
        batch = {"batch": "full", "stochastic": 1}.get(variant, self.batch_spin.value())
        target = None
        if self.is_file(name) and self._is_csv_shown():
            target = self.target_combo.currentText() or None
        return RunConfig(
            dataset=name or "",
            dataset_options=self._dataset_options(),
            target=target,
            validation_split=self.validation_spin.value(),
            hidden_layers=self.hidden_edit.text(),
            activation=self.activation_combo.currentText(),
            architecture=self._image_network if self._network_offered() else "auto",
            model_path=self.model_path,
            loss=self.loss_combo.currentData(),
            loss_options=self.loss_form.values(),
            optimizer=self.optimizer_combo.currentData(),
            hyperparameters=self.optimizer_form.values(),
            epochs=self.epochs_spin.value(),
            batch_size=batch,
            schedule=self.schedule_combo.currentText(),
            seed=self.seed_spin.value(),
            sharpness_every=self.sharpness_spin.value(),
            distribute="mirrored"
            if self.gpus_check.isEnabled() and self.gpus_check.isChecked()
            else "none",
        )
