#!/usr/bin/env bash
# Takes the README's screenshot of the training dashboard (docs/dashboard.png) during a 'clip demo --ui' run:
# starts the demo, waits until it has taken STEPS steps, opens the dashboard in a headless Chromium through
# chromedriver's WebDriver HTTP interface (curl only), saves the screenshot and stops both.
# Needs the build (mvn -q -B -DskipTests install) and Debian's chromium and chromium-driver packages.
# Usage, from the repository root:  examples/dashboard-screenshot.sh [OUT.png [STEPS]]
#   (defaults: docs/dashboard.png, 600; CLIP4J_UI_PORT and CLIP4J_DRIVER_PORT choose the ports, 8765 and 9516)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/docs/dashboard.png}"
steps="${2:-600}"
port="${CLIP4J_UI_PORT:-8765}"
dport="${CLIP4J_DRIVER_PORT:-9516}"
for tool in /usr/bin/chromium /usr/bin/chromedriver curl base64; do
  command -v "$tool" >/dev/null || { echo "dashboard-screenshot: $tool is missing (apt-get install chromium chromium-driver curl)" >&2; exit 1; }
done
work="$(mktemp -d)"
demo="" driver=""
cleanup() {
  [[ -n "$driver" ]] && kill "$driver" 2>/dev/null
  [[ -n "$demo" ]] && kill "$demo" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$root/bin/clip" demo --ui --ui-port "$port" --out-dir "$work/clip-demo" >"$work/demo.log" 2>&1 &
demo=$!
echo "clip demo --ui running (log: $work/demo.log); waiting for step $steps" >&2
while :; do
  n="$(grep -c '"loss"' "$work/clip-demo/metrics.jsonl" 2>/dev/null || true)"
  [[ "${n:-0}" -ge "$steps" ]] && break
  kill -0 "$demo" 2>/dev/null || { echo "dashboard-screenshot: clip demo ended early:" >&2; cat "$work/demo.log" >&2; exit 1; }
  sleep 2
done

/usr/bin/chromedriver --port="$dport" >"$work/driver.log" 2>&1 &
driver=$!
wd="http://127.0.0.1:$dport"
for _ in $(seq 100); do curl -sf "$wd/status" >/dev/null && break; sleep 0.2; done
caps='{"capabilities":{"alwaysMatch":{"goog:chromeOptions":{"binary":"/usr/bin/chromium",
  "args":["--headless=new","--no-sandbox","--disable-dev-shm-usage","--hide-scrollbars","--window-size=1400,1400"]}}}}'
session="$(curl -sf -X POST -H 'Content-Type: application/json' -d "$caps" "$wd/session" \
  | sed -n 's/.*"sessionId" *: *"\([^"]*\)".*/\1/p')"
[[ -n "$session" ]] || { echo "dashboard-screenshot: chromedriver gave no session:" >&2; cat "$work/driver.log" >&2; exit 1; }
curl -sf -X POST -H 'Content-Type: application/json' -d "{\"url\":\"http://127.0.0.1:$port/\"}" \
  "$wd/session/$session/url" >/dev/null
sleep 3 # the page draws once the event stream has delivered the steps so far
curl -sf "$wd/session/$session/screenshot" | sed 's/.*"value" *: *"\([^"]*\)".*/\1/' | base64 -d >"$out"
curl -sf -X DELETE "$wd/session/$session" >/dev/null || true
echo "wrote $out (dashboard at step $(grep -c '"loss"' "$work/clip-demo/metrics.jsonl"))" >&2
