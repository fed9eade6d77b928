# The two commands of the README: `make run` and `make test`. Both install what they need.
.PHONY: install run test lint bench clean

install:
	@bash scripts/install.sh

run: install
	.venv/bin/lsplug start -c config.yaml

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy lsplug plugins/storage_local/lsplug_storage_local plugins/storage_s3/lsplug_storage_s3 plugins/storage_gcs/lsplug_storage_gcs plugins/ml_http/lsplug_ml_http

test: install lint
	@bash scripts/install_chromium.sh
	@bash scripts/install_ml_server.sh
	@bash scripts/install_postgres.sh
	.venv/bin/python -m pytest -q

bench: install
	.venv/bin/python bench/core.py

clean:
	rm -rf .venv data output .pytest_cache .mypy_cache .ruff_cache
