#!/usr/bin/env bash
# The whole contract chain, from services/homesim/messages.py (and the device configs):
#   pydantic -> AsyncAPI YAML (specs/) -> TypeScript classes (ui/src/app/generated/)
#   -> HTML docs (specs/html/index.html) -> Device CRD and values.schema.json (charts/home/)
#   and the device kinds' form schemas for the UI (ui/src/app/generated/device-kinds.json);
#   and the Grafana dashboards, provisioning and ConfigMap (infra/grafana/); the Compose file
#   of the reference home (docker-compose.yml, infra/prometheus/targets/compose.json); the
#   engine's loops over the load kinds' behaviours (services/homesim/engine/dispatch.py).
# Usage: cd/process_specs.sh [OUT_ROOT]   (default: the repository; tests pass a temp folder)
# Idempotent: the same sources give the same bytes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$(mkdir -p "${1:-$root}" && cd "${1:-$root}" && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"

if [ ! -d "$here/node_modules/@asyncapi/modelina" ]; then
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$root"
mkdir -p "$out/services/homesim/engine"
PYTHONPATH="$root/services" "$python" -m homesim.engine.gen_dispatch --out "$out/services/homesim/engine/dispatch.py"
PYTHONPATH="$root/services" "$python" -m homesim.cli specs --out "$out/specs"
node "$here/modelina.mjs" "$out/specs/homesim.asyncapi.yaml" "$out/ui/src/app/generated"
node "$here/html_docs.mjs" "$out/specs/homesim.asyncapi.yaml" "$out/specs/html" 2>&1 | grep -v '^\[BABEL\]' || true
"$python" "$root/infra/grafana/build.py" --out "$out/infra/grafana" > /dev/null
mkdir -p "$out/charts/home/dashboards" && cp "$out"/infra/grafana/dashboards/*.json "$out/charts/home/dashboards/"
PYTHONPATH="$root/services" "$python" -m homesim.generators.k8s_schemas --out "$out/charts/home" \
  --ui-kinds "$out/ui/src/app/generated/device-kinds.json"
PYTHONPATH="$root/services" "$python" -m homesim.generators.compose --home examples/home.yaml --out "$out" > /dev/null
