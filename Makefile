# The two commands of the README: `make run` and `make test`. Both install what they need.
.PHONY: install run test lint bench clean

install:
	@bash scripts/install.sh

run: install
	.venv/bin/lsplug start -c config.yaml

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy lsplug plugins/storage_local/lsplug_storage_local

test: install lint
	.venv/bin/python -m pytest -q

bench: install
	.venv/bin/python bench/core.py

clean:
	rm -rf .venv data output .pytest_cache .mypy_cache .ruff_cache
