"""The layers hold: import-linter's contracts (pyproject.toml), the plain-Python modules of the
engine really load no TensorFlow, and the window builds its side panel before TensorFlow."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.processes import run_python

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras")
PLAIN = (
    "trainers.catalog",
    "trainers.config",
    "trainers.control",
    "trainers.errors",
    "trainers.events",
    "trainers.parsing",
    "trainers.plans",
    "trainers.memory",
    "trainers.messages",
    "trainers.plugin_folder",
    "trainers.summary",
    "trainers.tuning",
    "trainers.advice",
    "trainers.units",
)


def fresh(code: str) -> dict:
    """Run `code` in a new interpreter at the project root; it prints one JSON object."""
    done = run_python(
        code,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_import_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is not installed: `make test` installs it (the test extra)"
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr  # it exits 1 on a broken contract


def test_the_plain_modules_load_no_tensorflow():
    imports = "; ".join(f"import {name}" for name in PLAIN)
    seen = fresh(
        f"import sys, json; {imports}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    assert seen == []


def test_the_side_panel_is_built_before_tensorflow_loads():
    seen = fresh(
        "import sys, json\n"
        "from PySide6.QtCore import QSettings\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from gui.training import SidePanel\n"
        "from trainers import catalog\n"
        "panel = SidePanel(QSettings('/nonexistent/descent.ini', QSettings.Format.IniFormat))\n"
        "config = panel.build_config().validate()\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(json.dumps({'heavy': heavy, 'optimizers': panel.optimizer_combo.count(),\n"
        "    'catalog': len(catalog.OPTIMIZERS), 'dataset': config.dataset,\n"
        "    'losses': panel.loss_combo.count()}))\n"
    )
    assert seen["heavy"] == []
    assert seen["optimizers"] == seen["catalog"] == 10
    assert seen["dataset"] == "moons" and seen["losses"] == 3  # moons: the binary losses
