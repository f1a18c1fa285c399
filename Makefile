# The two commands: `make run` starts Heron, `make test` runs ruff and every test.
.PHONY: run test lint setup setup-test verify-models clean

VENV := .venv
BIN := $(VENV)/bin

run: setup verify-models
	$(BIN)/heron run

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/heron models prepare
	$(BIN)/python -m pytest

lint: setup-test
	$(BIN)/ruff check .

setup: $(VENV)/.stamp-run
setup-test: $(VENV)/.stamp-test

$(VENV)/.stamp-run: pyproject.toml requirements/models-nodeps.txt scripts/install.sh
	scripts/system-deps.sh run
	scripts/install.sh run
	touch $@

$(VENV)/.stamp-test: pyproject.toml requirements/models-nodeps.txt \
		requirements/wyoming-openwakeword.txt scripts/install.sh
	scripts/system-deps.sh test
	scripts/install.sh test
	touch $@ $(VENV)/.stamp-run

verify-models:
	$(BIN)/heron models verify

clean:
	rm -rf $(VENV) .venv-wyoming-oww build *.egg-info .pytest_cache .ruff_cache
