# liftoff.aws - entry points: make sandbox, make sandbox-down, make test, make bench
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Keep ansible/molecule state out of ~/.ansible and away from a user's venv.
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible-home
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
unexport VIRTUAL_ENV
SCENARIOS := $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
SANITY_ROOT := $(CURDIR)/.cache/sanity
SANITY_COPY := $(SANITY_ROOT)/ansible_collections/liftoff/aws
# ansible-test keeps its venvs and caches under ~/.ansible/test: keep them in the repo's cache.
SANITY_HOME := $(CURDIR)/.cache/sanity-home

.PHONY: help venv link sandbox sandbox-down test lint yamllint ansible-lint sanity pytest unit integration molecule build ee bench clean

help:
	@echo "make sandbox       run site.yml against the local AWS emulator (+ test hosts); again = idempotence"
	@echo "make sandbox-down  stop everything the sandbox started"
	@echo "make test          yamllint, ansible-lint, ansible-test sanity, pytest, molecule, build"
	@echo "make bench         performance figures (see bench/RESULTS.md)"

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

link: venv
	@$(BIN)/python -c 'from tests.harness.paths import ensure_collection_link as e; e()'

sandbox: link
	$(BIN)/python scripts/sandbox.py up $(ARGS)

sandbox-down:
	@if [ -x $(BIN)/python ]; then $(BIN)/python scripts/sandbox.py down; else echo "[sandbox] nothing to stop"; fi

# Each stage runs as its own `make` target; scripts/stages.py prints a table of their wall times.
TEST_STAGES := yamllint ansible-lint sanity pytest $(addprefix molecule-,$(SCENARIOS)) build
test: link
	@$(BIN)/python scripts/stages.py $(TEST_STAGES)
	@echo "make test: all checks passed"

lint: yamllint ansible-lint

yamllint: venv
	$(BIN)/yamllint --strict .

ansible-lint: link
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --profile production --offline

# ansible-test wants the collection under ansible_collections/<ns>/<name>: test a copy of
# exactly the files git would commit.
sanity: link
	rm -rf $(SANITY_ROOT)
	mkdir -p $(SANITY_COPY)
	git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ $(SANITY_COPY)/
	# our modules import amazon.aws's module_utils and doc fragments: put it beside the copy
	mkdir -p $(SANITY_ROOT)/ansible_collections/amazon
	cp -a $$($(BIN)/python -c 'import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])') \
	  $(SANITY_ROOT)/ansible_collections/amazon/aws
	mkdir -p $(SANITY_HOME)/.ansible/test/cache
	pipver=$$($(BIN)/python scripts/ansible_test_pip_version.py); \
	  cp scripts/get_pip_offline.py $(SANITY_HOME)/.ansible/test/cache/get_pip_$${pipver//./_}.py
	cd $(SANITY_COPY) && git init -q && git add -A && \
	  HOME=$(SANITY_HOME) PATH=$(CURDIR)/$(BIN):$$PATH $(CURDIR)/$(BIN)/ansible-test sanity --venv --requirements --python 3.11 --color no

# Two workers (this machine has 2 cores); each worker gets its own emulator. The integration tests
# (a few take 1-2 minutes each) go first and an idle worker takes queued tests from the busy one
# (worksteal), so the run does not end with one worker finishing a queue of long tests alone.
PYTEST_WORKERS ?= 2
pytest: link
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal --durations=20 tests/integration tests/unit

unit: link
	$(BIN)/pytest -q tests/unit

integration: link
	$(BIN)/pytest -q tests/integration

molecule: $(addprefix molecule-,$(SCENARIOS))

# molecule merges .config/molecule/config.yml (what all scenarios share) under each molecule.yml.
molecule-%: link
	@echo "== molecule test -s $*"
	PATH=$(CURDIR)/$(BIN):$$PATH MOLECULE_GLOB='molecule/*/molecule.yml' $(BIN)/molecule test -s $*

build: venv
	rm -rf .cache/build && mkdir -p .cache/build
	$(BIN)/ansible-galaxy collection build --output-path .cache/build --force .

# Scale-out path: the build context for an execution environment (no container engine needed).
ee: build
	$(BIN)/ansible-builder create --file execution-environment.yml --context .cache/ee-context

clean: sandbox-down
	rm -rf .cache .pytest_cache

bench: link
	$(BIN)/python bench/bench.py $(if $(ONLY),--only $(ONLY)) $(if $(MITOGEN),--mitogen $(MITOGEN))
