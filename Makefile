# Two commands matter: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)

.PHONY: run test lint typecheck bench package screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

run: $(STAMP)
	$(VENV)/bin/nectar-gui --demo

test: $(TEST_STAMP)
	$(VENV)/bin/ruff check nectar_gui tests bench packaging docs
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/train_step.py

# A one-folder app bundle in dist/NectarGUI (see packaging/README.md); then packaging/smoke.
package: $(STAMP)
	@test -x $(VENV)/bin/pyinstaller || $(PY) -m pip install --quiet "pyinstaller>=6.10"
	QT_QPA_PLATFORM=offscreen $(PY) packaging/make_icons.py
	$(VENV)/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller \
		packaging/nectar_gui.spec
	@du -sh dist/NectarGUI

screenshots: $(STAMP)  # the user guide's pictures, from the real app offscreen
	QT_QPA_PLATFORM=offscreen $(PY) docs/make_screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .pytest_cache .ruff_cache packaging/build-icons
