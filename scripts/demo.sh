#!/bin/sh
# The main job, end to end: build, start a private bus, shiftd (user mode,
# embedded backend) and the bundled model stand-in, hand shiftd a task, show
# the receipt at once, follow the run live to its end, then list the runs.
# With SHIFTD_MODEL_URL pointing at a real OpenAI-compatible server (Ollama,
# llama.cpp, vLLM...) the run talks to it instead of the stand-in; set
# SHIFTD_MODEL_NAME to the model to use there.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null

tmp=$(mktemp -d /tmp/shiftd-demo.XXXXXX)
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

address="unix:path=$tmp/bus"
dbus-daemon --session --address="$address" --nofork --nopidfile >/dev/null 2>&1 &
pids="$!"

mkdir -p "$tmp/config"
if [ -n "${SHIFTD_MODEL_URL:-}" ]; then
  echo "Model: $SHIFTD_MODEL_URL"
  printf '[Model]\nName=%s\n' "${SHIFTD_MODEL_NAME:-llama3.2}" > "$tmp/config/shiftd.conf"
else
  cat > "$tmp/scenarios.json" <<'JSON'
{"demo": [
  {"tool": "ask_human", "delay": 0.8,
   "arguments": {"question": "I drafted the release notes. Publish them?",
                 "choices": ["publish", "hold"], "default": "hold", "deadline": "1h"}},
  {"tool": "finish", "delay": 0.8,
   "arguments": {"result": "Release notes published: 3 features, 5 fixes."}}
]}
JSON
  python3 tests/model-standin.py --port-file "$tmp/port" --scenarios "$tmp/scenarios.json" >/dev/null 2>&1 &
  pids="$pids $!"
  i=0; while [ ! -s "$tmp/port" ]; do i=$((i+1)); [ $i -lt 200 ] || { echo "the stand-in did not start" >&2; exit 1; }; sleep 0.05; done
  printf '[Model]\nBaseURL=http://127.0.0.1:%s/v1\n' "$(cat "$tmp/port")" > "$tmp/config/shiftd.conf"
  echo "Model: the bundled stand-in (scripted replies; set SHIFTD_MODEL_URL for a real model)"
fi

build/src/daemon/shiftd --user --address="$address" --backend=embedded \
  --config-dir="$tmp/config" --state-dir="$tmp/state" 2>"$tmp/shiftd.log" &
pids="$pids $!"
ctl() { build/src/cli/shiftctl --address="$address" "$@"; }
i=0; until ctl agents >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 200 ] || { cat "$tmp/shiftd.log" >&2; exit 1; }; sleep 0.05; done

echo
echo "\$ shiftctl start --follow \"Draft the release notes for 0.1 and ask before publishing. scenario:demo\""
ctl start --follow "Draft the release notes for 0.1 and ask before publishing. scenario:demo" | tee "$tmp/out" || true
name=$(awk '/^Started /{print $2; exit}' "$tmp/out")

if [ -n "$name" ] && [ "$(ctl --json status "$name" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = waiting ]; then
  choice=$(ctl --json status "$name" | python3 -c 'import json,sys; c=json.load(sys.stdin).get("choices") or ["yes"]; print(c[0])')
  next=$(($(ctl --json status "$name" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event_count"])') + 1))
  echo
  echo "\$ shiftctl answer $name $choice"
  ctl answer "$name" "$choice"
  echo "\$ shiftctl events --follow --from $next $name"
  ctl events --follow --from "$next" "$name" || true
fi
echo
echo "\$ shiftctl list"
ctl list
