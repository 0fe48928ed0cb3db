# mmpart developer entry points. `make demo` and `make test` install into $(VENV) first if needed.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmpart-installed
INSTALL_INPUTS := setup.py requirements/*.txt tools/misc/install.sh tools/misc/build_mmcv_wheel.sh
PYTEST_ARGS ?=

.PHONY: install test lint demo demo-benchmarks clean

install: $(STAMP)

$(STAMP): $(INSTALL_INPUTS)
	bash tools/misc/install.sh $(VENV)
	touch $@

lint: install
	$(PY) -m ruff check .

test: install lint
	$(PY) -m pytest tests $(PYTEST_ARGS)

demo: install
	bash tools/demo.sh

demo-benchmarks: install
	bash tools/demo_benchmarks.sh

clean:
	rm -rf work_dirs .pytest_cache .ruff_cache
