# mmpart developer entry points. `make demo` and `make test` install into $(VENV) first if needed.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmpart-installed
INSTALL_INPUTS := setup.py requirements/*.txt tools/misc/install.sh tools/misc/build_mmcv_wheel.sh \
	tools/misc/wheelhouse.py tools/misc/env_layer.py
# `make install WHEELHOUSE=DIR`: offline, from a folder made by tools/misc/make_wheelhouse.sh;
# INSTALL_ARGS=--system-torch keeps an existing environment's torch (see tools/misc/install.sh --help)
WHEELHOUSE ?=
INSTALL_ARGS ?=
PYTEST_ARGS ?=

.PHONY: install test lint demo demo-benchmarks clean

install: $(STAMP)

$(STAMP): $(INSTALL_INPUTS)
	bash tools/misc/install.sh $(VENV)$(if $(WHEELHOUSE), --offline $(WHEELHOUSE))$(if $(INSTALL_ARGS), $(INSTALL_ARGS))
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
