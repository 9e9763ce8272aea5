# Set-up and everyday tasks. `make demo` and `make test` create everything they need from the lock file.
PYTHON ?= python3.11
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test check bench docs clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# The environment is rebuilt when the lock file or the project's metadata change.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --all-extras --python $(PYTHON) --quiet
	touch $@

demo: $(VENV)/.compiled
	$(VENV)/bin/daeval demo

# Bytecode for every installed module, compiled once per environment, and for src and tests when
# they change: where Python writes no bytecode itself (PYTHONDONTWRITEBYTECODE), each test worker
# and each `daeval` a test starts would compile the same modules again (seconds each).
$(VENV)/.compiled: $(VENV)/.synced
	$(VENV)/bin/python -m compileall -q -j 0 $(VENV)/lib > /dev/null
	touch $@

test: $(VENV)/.compiled
	$(VENV)/bin/python -m compileall -q -j 0 src tests > /dev/null
	$(VENV)/bin/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder

check: $(VENV)/.synced
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(VENV)/.synced
	$(VENV)/bin/python -m benchmarks

docs: $(VENV)/.synced
	$(VENV)/bin/python -m daeval.model.reference > docs/reference/model.md
	$(VENV)/bin/python -m daeval.instruments.page > docs/instruments.md
	$(VENV)/bin/python -m daeval.study.page > docs/reference/study-file.md

clean:
	rm -rf $(VENV) $(TOOLS)
