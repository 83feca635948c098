# The two commands a newcomer needs: `make run` and `make test`. Each makes .venv when it is
# missing and installs the project into it with the pinned versions of constraints.txt.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

PACKAGE_STAMP := $(VENV)/.installed-package

.PHONY: run test lint bench package clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/run_all.py

$(PACKAGE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,package]"
	touch $(PACKAGE_STAMP)

# The one-folder app in dist/descent/ (minutes; not part of `make test`). Check it with
# `dist/descent/descent --self-test`.
package: $(PACKAGE_STAMP)
	$(PY) -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build \
		packaging/descent.spec
	du -sh dist/descent

clean:
	rm -rf $(VENV) build dist *.egg-info
