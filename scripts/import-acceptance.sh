#!/usr/bin/env bash
# The measurements of docs/IMPORT.md, end to end (issue 27's acceptance): a pendulum video the project
# did not render -> hnn import video -> HNN and baseline per seed -> hnn rollout's comparison; and the
# project's own pixel-pendulum frames, lossless and degraded (scaled, blurred, H.264), re-imported and
# trained alike. Needs a build (npm run build) and ffmpeg.
#   bash scripts/import-acceptance.sh OUT [SEEDS=3] [STEPS: empty = the protocol's 10000; 300 = --quick]
set -euo pipefail
OUT=${1:?usage: import-acceptance.sh OUT [SEEDS] [STEPS]}
SEEDS=${2:-3}
STEPS=${3:-}
HNN="node $(dirname "$0")/../bin/hnn.js"
STEPFLAG=${STEPS:+--steps $STEPS}
mkdir -p "$OUT"
[ -f "$OUT/pendulum.mp4" ] || bash "$(dirname "$0")/make-pendulum-video.sh" "$OUT/pendulum.mp4"
[ -f "$OUT/ds-pendulum/manifest.json" ] || $HNN import video "$OUT/pendulum.mp4" --out "$OUT/ds-pendulum" --grey --trial-frames 120 --crop auto
for s in $(seq 0 $((SEEDS - 1))); do
  # the two models side by side, one thread each (as docs/IMPORT.md's table was measured)
  pids=()
  for m in hnn baseline; do
    [ -f "$OUT/pendulum-s$s/$m/metrics.json" ] || { $HNN train --data "$OUT/ds-pendulum" --model $m --seed $s --threads 1 $STEPFLAG --out "$OUT/pendulum-s$s/$m" --quiet & pids+=($!); }
  done
  for p in "${pids[@]}"; do wait "$p"; done
  $HNN rollout --model "$OUT/pendulum-s$s" --out "$OUT/pendulum-s$s/rollout.mp4" --force
done
# the project's own frames, re-imported
[ -f "$OUT/gen/manifest.json" ] || $HNN generate pixel-pendulum --out "$OUT/gen" --quiet
for v in lossless degraded; do
  ext=$([ $v = lossless ] && echo mkv || echo mp4)
  [ -f "$OUT/gen-$v.$ext" ] || node "$(dirname "$0")/dataset-to-video.mjs" "$OUT/gen" "$OUT/gen-$v.$ext" $([ $v = degraded ] && echo --degrade)
  [ -f "$OUT/ds-$v/manifest.json" ] || $HNN import video "$OUT/gen-$v.$ext" --out "$OUT/ds-$v" --grey --background keep --trial-frames 102
  [ -f "$OUT/gen-$v-hnn/metrics.json" ] || $HNN train --data "$OUT/ds-$v" --model hnn $STEPFLAG --out "$OUT/gen-$v-hnn" --quiet
done
