# homesim: `make run` runs the reference home live on the bus, `make test` runs every test suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOME_FILE ?= examples/home.yaml
OUT    ?= out/live

.PHONY: lint run test test-containers images bench bench-load venv router specs ui docs debian-packages container-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# The Crossbar router lives in its own virtualenv: it pins old libraries
# that must not meet the services' ones (see docs/engineering/live-home.md).
ROUTER_VENV ?= .venv-router
ROUTER_STAMP := $(ROUTER_VENV)/.installed
$(ROUTER_STAMP): infra/router/crossbar_tcp_nodelay.py infra/router/install_patches.py infra/docker/router.lock
	$(PYTHON) -m venv $(ROUTER_VENV)
	$(ROUTER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ROUTER_VENV)/bin/python -m pip install --quiet --require-hashes -r infra/docker/router.lock
	$(ROUTER_VENV)/bin/python infra/router/install_patches.py
	touch $(ROUTER_STAMP)

router: $(ROUTER_STAMP)

# Node tools of the contract chain (Modelina, TypeScript, the AsyncAPI HTML template).
CD_STAMP := cd/node_modules/.installed
$(CD_STAMP): cd/package.json cd/package-lock.json
	cd cd && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $(CD_STAMP)

# Debian packages the tests run for real: Chromium (UI), Prometheus, PostgreSQL; installed
# with apt where they are missing (CI runs as root). The emoji font draws the kinds' icons in
# the screenshots (a homeowner's phone or desktop has one; a bare server has none).
APT_PACKAGES := chromium prometheus postgresql fonts-noto-color-emoji
debian-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# Regenerate every generated file from services/homesim/messages.py and the device configs.
specs: $(STAMP) $(CD_STAMP)
	bash cd/process_specs.sh

# The UI: Angular app in ui/, built into ui/dist/ui/browser (served by the router at /).
UI_STAMP := ui/node_modules/.installed
$(UI_STAMP): ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund --loglevel=error
	touch $(UI_STAMP)
UI_BUILT := ui/dist/ui/browser/index.html
$(UI_BUILT): $(UI_STAMP) $(shell find ui/src -type f 2>/dev/null) ui/angular.json ui/tsconfig.json
	cd ui && npx ng build --progress=false
ui: $(UI_BUILT)

run: $(STAMP) $(ROUTER_STAMP) $(UI_BUILT)
	@command -v prometheus >/dev/null || (apt-get install -y -qq prometheus >/dev/null 2>&1 || true)
	$(VENV)/bin/homesim up $(HOME_FILE) --out $(OUT) $$(command -v prometheus >/dev/null && echo --prometheus)

# The documentation site (docs/) into docs/_build/html, served by a live home's router at /docs/:
# the reference generated from the code (docs/generate.py), warnings as errors, nothing fetched.
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)
docs: $(DOCS_STAMP)
	$(VENV)/bin/sphinx-build -W -n --keep-going -q -b html docs docs/_build/html

# ruff (pyflakes, pycodestyle errors, bugbear) and the import layers (pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check services tests bench infra cd docs
	cd services && ../$(VENV)/bin/lint-imports ../pyproject.toml

test: $(STAMP) $(ROUTER_STAMP) $(CD_STAMP) $(UI_BUILT) debian-packages lint docs
	$(PY) -m pytest -n 2 --dist loadfile -q --ignore=tests/containers
	$(MAKE) test-containers

# Podman, runc (crun fails on this kind of machine), catatonit (kube play), debootstrap (the
# images' base: no registry needed) and podman-compose (runs docker-compose.yml).
CONTAINER_PACKAGES := podman runc catatonit debootstrap podman-compose
container-packages:
	@missing=""; for p in $(CONTAINER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# The container images (homesim, homesim-router) with podman; see infra/docker/build.py.
images: $(STAMP) $(UI_BUILT) container-packages
	$(PY) infra/docker/build.py

# Containers for real: the images built, a home from its Kubernetes manifests with
# `podman kube play`, the reference home from docker-compose.yml with podman-compose.
test-containers: $(STAMP) $(UI_BUILT) container-packages debian-packages
	$(PY) -m pytest -q tests/containers

bench: $(STAMP) $(ROUTER_STAMP)
	$(PY) bench/engine.py
	$(PY) bench/plots.py
	$(PY) bench/bus.py
	$(PY) bench/recorder.py

# Several homes on one router, real time then as fast as possible (several minutes).
bench-load: $(STAMP) $(ROUTER_STAMP)
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) $(ROUTER_VENV) cd/node_modules ui/node_modules ui/dist out .pytest_cache docs/_build docs/_generated
