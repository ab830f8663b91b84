#!/usr/bin/env bash
# The acceptance of issue 26 (docs/SWEEPS.md), to run again after an engine change:
#   1. a 12-run sweep (pixel-pendulum at --quick x seeds 0-2 x HNN/baseline x 2 latent weight decays)
#      run locally without a queue (--jobs 2): the reference bytes;
#   2. the same sweep through Redis with 2 workers (1 thread each): every run's weights byte-identical;
#   3. again with 3 kill -9s of workers at random moments and one Redis restart (append-only file):
#      same bytes, no run lost, none trained twice to completion;
#   4. the same sweep with 1 worker: runs per hour against step 2's.
# Usage: scripts/sweep-acceptance.sh [WORKDIR] [PHASES]   (PHASES: any of 1234, default 1234)
# Needs redis-server and a built package (npm run build). Takes about an hour on 2 quiet cores.
# A reduced check of the same procedure (not the acceptance's numbers): ACCEPT_STEPS=40 ACCEPT_TRIALS=40
# trains each run 40 steps on 40-trial datasets instead of --quick on the protocol's datasets.
set -euo pipefail
cd "$(dirname "$0")/.."
W=$(realpath -m "${1:-runs/sweep-acceptance}")
PHASES=${2:-1234}
HNN="nice -n 10 node bin/hnn.js"
mkdir -p "$W"
RANDOM=26 # the kills' moments and victims: a seeded sequence

{
  echo 'name: accept12'
  echo 'tasks: [pixel-pendulum]'
  echo 'models: [hnn, baseline]'
  echo 'seeds: [0, 1, 2]'
  echo 'train:'
  if [ -n "${ACCEPT_STEPS:-}" ]; then echo "  steps: $ACCEPT_STEPS"; else echo '  quick: true'; fi
  echo '  threads: 1'
  echo '  dynamics-weight-decay: [1e-6, 1e-5]'
  if [ -n "${ACCEPT_TRIALS:-}" ]; then printf 'data:\n  trials: %s\n' "$ACCEPT_TRIALS"; fi
} >"$W/spec.yaml"
# the kills come within the first KILL_WINDOW seconds of each round (a reduced sweep is shorter)
KILL_WINDOW=${ACCEPT_KILL_WINDOW:-60}

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

start_redis() { # DIR PORT [appendonly]
  redis-server --port "$2" --bind 127.0.0.1 --dir "$1" --save '' --appendonly "${3:-no}" --daemonize yes \
    --pidfile "$1/redis.pid" --logfile "$1/redis.log"
  for _ in $(seq 50); do redis-cli -p "$2" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis did not start" >&2
  return 1
}
stop_redis() { redis-cli -p "$1" shutdown >/dev/null 2>&1 || true; sleep 1; }

start_worker() { # URL STORE NAME LOG
  $HNN worker --queue "$1" --store "$2" --concurrency 1 --name "$3" >>"$4" 2>&1 &
  PIDS+=($!)
  echo $!
}

same_bytes() { # STORE: every run's weights equal to the local reference
  local bad=0 n=0
  for d in "$W/local/accept12/runs"/*/; do
    local run
    run=$(basename "$d")
    n=$((n + 1))
    if ! cmp -s "$d/model/weights.bin" "$1/accept12/runs/$run/model/weights.bin"; then
      echo "DIFFERENT or missing: $run"
      bad=$((bad + 1))
    fi
  done
  echo "$((n - bad)) of $n runs byte-identical to the local sweep"
  [ "$bad" = 0 ]
}

timed_queue() { # PHASE WORKERS [chaos]
  local dir="$W/q$1" port url t0 t1
  rm -rf "$dir" && mkdir -p "$dir/store" "$dir/redis"
  port=$(free_port)
  url="redis://127.0.0.1:$port"
  start_redis "$dir/redis" "$port" "$([ "${3:-}" = chaos ] && echo yes || echo no)"
  local workers=()
  for k in $(seq "$2"); do workers+=("$(start_worker "$url" "$dir/store" "w$k" "$dir/workers.log")"); done
  t0=$(date +%s)
  $HNN sweep "$W/spec.yaml" --queue "$url" --out "$dir/out" --quiet >"$dir/sweep.log" 2>&1 &
  local sweep=$!
  PIDS+=("$sweep")
  if [ "${3:-}" = chaos ]; then
    local next=$(($2 + 1))
    for round in 1 2 3; do
      sleep $((KILL_WINDOW / 3 + RANDOM % KILL_WINDOW))
      local i=$((RANDOM % ${#workers[@]}))
      echo "$(date -u +%T) kill -9 worker pid ${workers[$i]}" | tee -a "$dir/chaos.log"
      kill -9 "${workers[$i]}" 2>/dev/null || true
      workers[$i]=$(start_worker "$url" "$dir/store" "w$next" "$dir/workers.log")
      next=$((next + 1))
      if [ "$round" = 2 ]; then
        echo "$(date -u +%T) restarting Redis" | tee -a "$dir/chaos.log"
        stop_redis "$port"
        sleep 3
        start_redis "$dir/redis" "$port" yes
      fi
    done
  fi
  wait "$sweep"
  t1=$(date +%s)
  for p in "${workers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait "${workers[@]}" 2>/dev/null || true
  stop_redis "$port"
  local secs=$((t1 - t0))
  echo "phase $1: $2 workers: 12 runs in ${secs} s = $(node -e "console.log((12*3600/$secs).toFixed(1))") runs/hour" | tee -a "$W/summary.txt"
  same_bytes "$dir/store" | tee -a "$W/summary.txt"
  local twice
  twice=$(grep -o 'finished [^ ]* (trained)' "$dir/workers.log" | sort | uniq -d | wc -l)
  local trained
  trained=$(grep -o 'finished [^ ]* (trained)' "$dir/workers.log" | sort -u | wc -l)
  echo "phase $1: $trained runs trained to completion, $twice trained twice" | tee -a "$W/summary.txt"
}

echo "machine: $(nproc) cores; load at start: $(uptime)" | tee -a "$W/summary.txt"
if [[ $PHASES == *1* ]]; then
  rm -rf "$W/local"
  t0=$(date +%s)
  $HNN sweep "$W/spec.yaml" --store "$W/local" --jobs 2 --quiet >"$W/local.log" 2>&1
  secs=$(($(date +%s) - t0))
  echo "phase 1: local --jobs 2: 12 runs in ${secs} s = $(node -e "console.log((12*3600/$secs).toFixed(1))") runs/hour" | tee -a "$W/summary.txt"
fi
[[ $PHASES == *2* ]] && timed_queue 2 2
[[ $PHASES == *3* ]] && timed_queue 3 2 chaos
[[ $PHASES == *4* ]] && timed_queue 4 1
echo "load at the end: $(uptime)" | tee -a "$W/summary.txt"
