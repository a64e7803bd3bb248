# symposium — `make run` serves the demo symposium; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app symposium
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: install run user test lint format i18n i18n-extract i18n-update i18n-fill i18n-compile test-tools screenshots clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@bash scripts/check-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(MAKE) --no-print-directory i18n-compile
	touch $@

# The demo runs with a development secret kept in instance/dev-secret-key unless SECRET_KEY is set
DEV_ENV = SECRET_KEY="$${SECRET_KEY:-$$($(BIN)/python -m symposium.devsecret)}"

# Links in emails, QR codes and certificates point at the server that `make run` starts
# (make run HOST=… PORT=…) unless SYMPOSIUM_BASE_URL is set. 0.0.0.0 or :: (every interface) is
# no address to link to: this machine's name is used instead; an IPv6 address gets brackets.
LINK_HOST = $(if $(filter 0.0.0.0 :: [::],$(HOST)),$(shell hostname -f 2>/dev/null || hostname),$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)))
RUN_ENV = $(DEV_ENV) SYMPOSIUM_BASE_URL="$${SYMPOSIUM_BASE_URL:-http://$(LINK_HOST):$(PORT)}"

run: install
	$(RUN_ENV) $(FLASK) db upgrade
	$(RUN_ENV) $(FLASK) seed-demo
	$(RUN_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

# make user EMAIL=you@example.org ROLE=admin  (asks for the password) — an account for the demo
ifneq ($(filter user,$(MAKECMDGOALS)),)
ifeq ($(strip $(EMAIL)),)
$(error Say whose account to create: make user EMAIL=you@example.org ROLE=admin (or organiser, checkin); it then asks for the password)
endif
endif
user: install
	$(DEV_ENV) $(FLASK) user create "$(EMAIL)" --role "$(or $(ROLE),admin)"

test: install i18n-compile
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-tools:
	bash scripts/install-test-tools.sh

i18n: i18n-extract i18n-update i18n-fill i18n-compile

i18n-extract:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output .

i18n-update:
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

i18n-fill:
	$(BIN)/python scripts/fill_translations.py

i18n-compile:
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | grep -v '^$$' || true

screenshots: install
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) instance .pytest_cache
