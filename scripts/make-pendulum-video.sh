#!/usr/bin/env bash
# A pendulum video the project did not render, drawn by ffmpeg's own filters (docs/IMPORT.md): a disc
# on a rod swinging by a formula over a colour gradient, with noise, encoded as H.264.
#   bash scripts/make-pendulum-video.sh OUT.mp4 [SEGMENTS=150] [SIZE=128] [FPS=30]
# The video is SEGMENTS segments of 4 s (120 frames each at 30 frames/s: cut it with
# `hnn import video OUT.mp4 --trial-frames 120`). In segment k the angle from straight down is
#   theta(t) = A_k cos(4.2 (t - 4k) + phi_k),  A_k = 0.25 + 0.55 frac(0.618034 k),  phi_k = 2.39996 k
# (radians, t in seconds): a harmonic swing, a new amplitude and phase per segment, so each trial has
# its own energy. In pixels of a 128 x 128 frame: pivot (64, 24), rod length 78, rod about 7 wide,
# disc radius 12.8. ffmpeg's geq evaluates the formula per pixel: about 3 s per segment here.
# docs/IMPORT.md measures why the rod, the disc and the rate are this large: at 28 x 28 a thinner rod
# and a smaller disc at 20 frames/s left every model's VPT at 0.
set -euo pipefail
OUT=${1:?usage: make-pendulum-video.sh OUT.mp4 [SEGMENTS] [SIZE] [FPS]}
N=${2:-150}
S=${3:-128}
FPS=${4:-30}
SEG=4
# geometry in units of the frame side (scaled to S)
PX=$(echo "$S * 0.5" | bc -l); PY=$(echo "$S * 0.1875" | bc -l); L=$(echo "$S * 0.609375" | bc -l); R=$(echo "$S * 0.1" | bc -l)
# the rod: full intensity within RODW - 1 pixels of its axis, fading to 0 at RODW
RODW=$(echo "$S * 0.03125" | bc -l)
OM=4.2
TH="st(0,floor(T/$SEG));st(1,0.25+0.55*mod(ld(0)*0.618034,1));st(2,ld(1)*cos($OM*(T-ld(0)*$SEG)+ld(0)*2.39996))"
BOB="st(3,$PX+$L*sin(ld(2)));st(4,$PY+$L*cos(ld(2)))"
ROD="st(5,clip(((X-$PX)*(ld(3)-$PX)+(Y-$PY)*(ld(4)-$PY))/($L*$L),0,1));st(6,hypot(X-$PX-ld(5)*(ld(3)-$PX),Y-$PY-ld(5)*(ld(4)-$PY)))"
DISC="st(7,hypot(X-ld(3),Y-ld(4)))"
PRE="$TH;$BOB;$ROD;$DISC"
# one colour channel: background $1, rod $2, disc $3, with anti-aliased edges
channel() { echo "$PRE;st(8,clip($R+0.5-ld(7),0,1));st(9,clip($RODW-ld(6),0,1));(($1)*(1-ld(9))+$2*ld(9))*(1-ld(8))+$3*ld(8)"; }
ffmpeg -v error -y -f lavfi -i "color=c=black:s=${S}x${S}:r=$FPS:d=$((N * SEG))" \
  -vf "geq=r='$(channel "40+50*X/W" 170 240)':g='$(channel "60+40*Y/H" 170 150)':b='$(channel "110-30*X/W" 180 40)',noise=alls=12:allf=t" \
  -c:v libx264 -pix_fmt yuv420p -crf 20 "$OUT"
echo "wrote $OUT: $N segments of $((SEG * FPS)) frames, ${S}x${S}, $FPS frames/s"
