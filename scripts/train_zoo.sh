#!/usr/bin/env bash
# How the shipped SR weights were trained: on ../shared/data/sr/train (T91 + BSD200) only,
# Set5 watched during training (never trained on). Each run resumes from its own last.pt
# when one exists, so a later session continues where this one stopped; a larger step
# count than the run was started with restarts the cosine schedule from there.
# Usage: scripts/train_zoo.sh STREAM   (a, b, c, fuse-a..fuse-e, style-a..style-c, style-curve, style-perturb, style-weight, style-free, style-detail, slim-perturb, style-occlude, slim-occlude, real-a..real-l, clean-d..clean-k, faces, faces-v2, faces-v3: 1-thread
# streams, two at a time for 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
D=${VGX_DATA:-../shared/data}/sr
RUNS=${VGX_RUNS:-runs/zoo}

done_steps() {  # steps the run's model.pt was trained for (0 if none)
  [ -f "$1/model.pt" ] || { echo 0; return; }
  python -c "import torch,sys; print(torch.load(sys.argv[1], weights_only=True)['card']['train_steps'])" "$1/model.pt"
}

run() {  # name steps batch patch lr [extra vgx train options]
  RUNS_NAME=$1 run_as "$@"
}

run_as() {  # like run, into $RUNS/$RUNS_NAME; STOP_AT=N stops the slice there (resumable, as sty)
  local name=$1 steps=$2 batch=$3 patch=$4 lr=$5; shift 5
  local out=$RUNS/$RUNS_NAME resume=()
  [ "$(done_steps "$out")" -ge "$steps" ] && return 0
  [ -f "$out/last.pt" ] && resume=(--resume "$out/last.pt")
  mkdir -p "$out"
  vgx train "$name" --data "$D/train/T91" --data "$D/train/BSD200" --val "$D/Set5" --out "$out" \
    --steps "$steps" --batch-size "$batch" --patch-size "$patch" --lr "$lr" --threads 1 \
    --val-every 500 --ckpt-every 250 --stop-at "${STOP_AT:-$steps}" "${resume[@]}" "$@" >>"$out/console.log" 2>&1
}

tune() {  # name steps batch patch lr: fine-tune a per-channel-PReLU run to one slope per layer
  # (the fusable form the zoo now builds; its slopes start at each layer's channel mean)
  local name=$1; shift
  local init=${INIT:-$RUNS/$name/model.pt}
  RUNS_NAME=$name-fused run_as "$name" "$@" --init "$init"
}

face_split() {  # ORL as folders of links: s1..s36 train, s37..s40 held out (reconstruction PSNR, edits)
  local F=${VGX_DATA:-../shared/data}/faces/orl_att
  mkdir -p "$RUNS/faces/train" "$RUNS/faces/val"
  for i in $(seq 1 36); do ln -sfn "$(realpath "$F/s$i")" "$RUNS/faces/train/s$i"; done
  for i in $(seq 37 40); do ln -sfn "$(realpath "$F/s$i")" "$RUNS/faces/val/s$i"; done
}

gen() {  # name steps batch lr [vgx train options]: face generators on the ORL split (into $RUNS/${RUNS_NAME:-name})
  local name=$1 steps=$2 batch=$3 lr=$4 out=$RUNS/${RUNS_NAME:-$1} resume=()
  shift 4
  [ "$(done_steps "$out")" -ge "$steps" ] && return 0
  [ -f "$out/last.pt" ] && resume=(--resume "$out/last.pt")
  mkdir -p "$out"
  vgx train "$name" --data "$RUNS/faces/train" --val "$RUNS/faces/val" --out "$out" --steps "$steps" \
    --batch-size "$batch" --lr "$lr" --threads 1 --val-every 250 --ckpt-every 250 "${resume[@]}" "$@" >>"$out/console.log" 2>&1
}

weights_of() {  # a run folder (its model.pt) or a weights file
  if [ -d "$1" ]; then echo "$1/model.pt"; else echo "$1"; fi
}

sty() {  # style file [--slim] [vgx train options]: VGG-19 loss (train/style.py), 256 px crops of BSD200 + T91,
  # resumable slices; env STYLE_STEPS, STABILITY, LR, STYLE_WEIGHT (default 5), STY_OUT (another run folder,
  # e.g. a stability stage), ANTIALIAS=1 (--antialias: the shift-following net)
  local style=$1 file=$2 slim=; shift 2
  [ -n "${ANTIALIAS:-}" ] && set -- "$@" --antialias
  [ "${1:-}" = --slim ] && { slim=-slim; shift; }
  local name=style-$style$slim out=${STY_OUT:-$RUNS/style-$style$slim} resume=()
  [ "$(done_steps "$out")" -ge "$STYLE_STEPS" ] && return 0
  [ -f "$out/last.pt" ] && resume=(--resume "$out/last.pt")
  mkdir -p "$out"
  vgx train "$name" --style "${VGX_DATA:-../shared/data}/style/style-images/$file" --data "$D/train/BSD200" --data "$D/train/T91" \
    --val "${VGX_DATA:-../shared/data}/style/content-images" --out "$out" --steps "$STYLE_STEPS" --batch-size 2 \
    --patch-size 256 --lr "${LR:-1e-3}" --style-weight "${STYLE_WEIGHT:-5}" --stability-weight "${STABILITY:-1000}" --threads 1 --val-every 250 \
    --ckpt-every "${CKPT_EVERY:-50}" --stop-at "${STOP_AT:-$STYLE_STEPS}" "${resume[@]}" "$@" >>"$out/console.log" 2>&1
}

stabilize() {  # style file run [--slim]: the texture/flicker curve's last two points, from a finished run:
  # 400 steps at stability 5000, then 400 at 20000 (lr 3e-4; README, style section)
  local style=$1 file=$2 run=$3; shift 3
  STYLE_STEPS=400 STABILITY=5000 LR=3e-4 STY_OUT=$run-stab5000 sty "$style" "$file" "$@" --init "$run/model.pt"
  STYLE_STEPS=400 STABILITY=20000 LR=3e-4 STY_OUT=$run-stab20000 sty "$style" "$file" "$@" --init "$run-stab5000/model.pt"
}
distil() {  # style teacher-run out steps init-weights [vgx train options]: the slim as the full model's
  # student (pixel MSE to its output + stability 20000); with --style, the painting's style term too; BF16=1: --bf16
  local style=$1 teacher=$2 out=$3 steps=$4 init=$5 resume=()
  shift 5
  [ "$(done_steps "$out")" -ge "$steps" ] && return 0
  [ -f "$out/last.pt" ] && resume=(--resume "$out/last.pt")
  mkdir -p "$out"
  teacher=$(weights_of "$teacher")
  vgx train "style-$style-slim" --teacher "$teacher" --data "$D/train/BSD200" --data "$D/train/T91" \
    --val "${VGX_DATA:-../shared/data}/style/content-images" --out "$out" --steps "$steps" --batch-size 2 --patch-size 256 \
    --lr 5e-4 --stability-weight 20000 --threads 1 --ckpt-every "${CKPT_EVERY:-50}" --init "$init" ${BF16:+--bf16} "$@" \
    "${resume[@]}" >>"$out/console.log" 2>&1
}
# style-c / slim-c: these styles (name:painting), or the ones in $STYLES (scripts/gpu_train.sh: one per process)
STYLES=${STYLES:-starry-night:starry_night.jpg wave:wave.jpg the-scream:the_scream.jpg composition-vii:composition_vii.jpg}
STYLE_STEPS=${STYLE_STEPS:-2000}  # (per call: STYLE_STEPS=800 sty ...); the first wave (EfficientNet loss,
# 128 px crops, 800-1300 steps, stability 3000-6000) is in this file's history

case "${1:-a}" in
  a)
    run espcn-x3 8000 32 32 1e-3
    run fsrcnn-x2 8000 32 32 1e-3
    run espcn-x4 8000 32 24 1e-3
    run fsrcnn-x3 8000 32 32 1e-3
    run fsrcnn-x4 8000 32 24 1e-3
    run espcn-x2 8000 32 32 1e-3
    ;;
  b)
    run compact-x2 6000 32 48 5e-4
    run compact-x4 4000 32 24 5e-4
    # SRResNet needs far more steps than one session gives: a long schedule, in slices
    run srresnet-x4 40000 16 24 2e-4 --stop-at "${SRRESNET_STOP_AT:-2000}"
    run srgan-x4 400 8 24 1e-4 --init "$RUNS/srresnet-x4/last.pt" --val-every 100 --ckpt-every 50
    ;;
  c)
    # second slices: a larger step count restarts the cosine from the last checkpoint
    run espcn-x3 16000 32 32 1e-3
    run fsrcnn-x3 16000 32 32 1e-3
    ;;
  # Slim styles can instead be distilled from the trained full one (~5x cheaper a step, no loss
  # network): vgx train style-NAME-slim --teacher runs/zoo/style-NAME/model.pt --data ... (see style.py).
  # The shipped styles (second wave: VGG-19 loss), one stream per core. ~3.5 s a step (full) and
  # ~2 s (slim) with both cores busy: a full style is two sessions' slices of STOP_AT.
  style-a)
    sty udnie udnie.jpg; sty wave wave.jpg; sty starry-night starry_night.jpg
    sty the-scream the_scream.jpg; sty composition-vii composition_vii.jpg
    ;;
  style-b)
    sty udnie udnie.jpg --slim; sty wave wave.jpg --slim; sty starry-night starry_night.jpg --slim
    sty the-scream the_scream.jpg --slim; sty composition-vii composition_vii.jpg --slim
    ;;
  style-curve)  # the shipped udnie: style-a's 2000 steps at stability 1000, then stronger stability;
    # its slim distilled from it (first made by hand in runs/curve/udnie-*, the same settings)
    stabilize udnie udnie.jpg "$RUNS/style-udnie"
    # the slim: 1000 steps from style-b's VGG-trained slim, then 800 with the style term (weight 1)
    distil udnie "$RUNS/style-udnie-stab20000" "$RUNS/style-udnie-slim-distill" 1000 "$RUNS/style-udnie-slim/model.pt" \
      --val-every 250
    distil udnie "$RUNS/style-udnie-stab20000" "$RUNS/style-udnie-slim-distill-style" 800 "$RUNS/style-udnie-slim-distill/model.pt" \
      --val-every 200 --style "${VGX_DATA:-../shared/data}/style/style-images/udnie.jpg" --style-weight 1
    ;;
  style-c)  # the other styles from the shipped udnie's weights (the same net learns a new painting in
    # fewer steps than from scratch): 1200 steps at stability 5000, then the curve's 20000 stage
    for s in $STYLES; do
      STYLE_STEPS=1200 STABILITY=5000 sty "${s%%:*}" "${s#*:}" --init train/weights/style-udnie.pt
      STYLE_STEPS=400 STABILITY=20000 LR=3e-4 STY_OUT=$RUNS/style-${s%%:*}-stab20000 \
        sty "${s%%:*}" "${s#*:}" --init "$RUNS/style-${s%%:*}/model.pt"
    done
    ;;
  style-curve-c)  # a style-c style's trade-off curve, one point per call: 1200 steps from udnie at $STABILITY,
    # then two slims distilled from it with the painting's style term at weight 1 and 5. The Scream's
    # 20000 stage flattened it below its painting's own gradient (0.17 against 0.43; README, styles)
    st_name=${STYLE_NAME:-the-scream} st_file=${STYLE_FILE:-the_scream.jpg} st_stab=${STABILITY:-5000}
    run_dir=$RUNS/style-$st_name-stab$st_stab
    STYLE_STEPS=1200 STY_OUT=$run_dir sty "$st_name" "$st_file" --init train/weights/style-udnie.pt
    for w in 1 5; do
      distil "$st_name" "$run_dir" "$run_dir-slim-w$w" 1000 train/weights/style-udnie-slim.pt --val-every 250 \
        --style "${VGX_DATA:-../shared/data}/style/style-images/$st_file" --style-weight "$w"
    done
    ;;
  style-weight)  # a full style's texture and colour: 400 more steps at 20000 from the shipped weights with
    # STYLE_WEIGHT (default 10) times the style term, one style per call (WEIGHT_STYLE=name:painting, default
    # starry-night: texture 0.79 -> 0.69, colour 0.76 -> 0.64, but bikes in the stream 1.27 -> 1.64; shipped for
    # the-scream and udnie at 10, composition-vii at 8 then WEIGHT_STABILITY=25000: README, fuller paintings)
    # WEIGHT_INIT (a run folder or weights; default the shipped full) goes on from a model not yet shipped,
    # WEIGHT_STABILITY (default 20000) holds it stiller, WEIGHT_OCTAVES=3 adds Grams of a 4x-downscaled copy
    # (10 Gram terms rather than 7: style weight 7 at 3 octaves weighs the style term as 10 at 2)
    s=${WEIGHT_STYLE:-starry-night:starry_night.jpg} w=${STYLE_WEIGHT:-10} init=${WEIGHT_INIT:+$(weights_of "$WEIGHT_INIT")}
    STYLE_STEPS=400 STABILITY=${WEIGHT_STABILITY:-20000} LR=3e-4 STYLE_WEIGHT=$w \
      STY_OUT=$RUNS/style-${s%%:*}-sw$w${WEIGHT_OCTAVES:+-oct$WEIGHT_OCTAVES}${WEIGHT_STABILITY:+-stab$WEIGHT_STABILITY}${WEIGHT_INIT:+-from-$(basename "$WEIGHT_INIT" .pt)} \
      sty "${s%%:*}" "${s#*:}" --init "${init:-train/weights/style-${s%%:*}.pt}" ${WEIGHT_OCTAVES:+--style-octaves "$WEIGHT_OCTAVES"}
    ;;
  style-free)  # udnie's shipped weights are Pareto-dominated on their own VGG loss: on the held-out photos
    # the reference Udnie's outputs score content 0.45, style 0.66 (3 octaves) against the shipped model's
    # 0.89, 1.41 (benchmarks/studies/style_loss_gap.py), so a stiffer term is not what keeps it from the
    # painting. FREE_STEPS (default 1200) at stability FREE_STABILITY (default 0), lr FREE_LR (default 3e-4;
    # 1e-3 from the shipped weights turned the outputs green by step 60, style term 1.2 -> 6), style weight 7
    # at 3 octaves, from the shipped weights of FREE_STYLE (name:painting, default udnie:udnie.jpg;
    # FREE_INIT=scratch: from nothing, which at lr 1e-3 and stability 1000 had the style term at 2.35 by
    # step 500 where the shipped weights' run had 0.63), then 400 at FREE_HOLD (default 20000; lr 3e-4);
    # --bf16: twice the steps an hour on this CPU; FREE_HOLD=0: no hold (style-detail holds it instead)
    s=${FREE_STYLE:-udnie:udnie.jpg} st=${FREE_STABILITY:-0} n=${FREE_STEPS:-1200} lr=${FREE_LR:-3e-4}
    init=(--init "train/weights/style-${s%%:*}.pt")
    [ "${FREE_INIT:-}" = scratch ] && init=()
    out=$RUNS/style-${s%%:*}-free$st-lr$lr${FREE_INIT:+-$FREE_INIT}${ANTIALIAS:+-aa}
    STYLE_STEPS=$n STABILITY=$st LR=$lr STYLE_WEIGHT=7 STY_OUT=$out sty "${s%%:*}" "${s#*:}" "${init[@]}" --style-octaves 3 \
      --bf16
    [ "${FREE_HOLD:-}" = 0 ] && exit 0
    STYLE_STEPS=400 STABILITY=${FREE_HOLD:-20000} LR=3e-4 STYLE_WEIGHT=7 STY_OUT=$out-stab${FREE_HOLD:-20000} \
      sty "${s%%:*}" "${s#*:}" --init "$out/model.pt" --style-octaves 3 --bf16
    ;;
  style-detail)  # the free run's texture held still by a stability term that flattening does not lower:
    # --stability-per-detail charges the output's squared change over its own detail energy (train/style_losses.py).
    # DETAIL_STEPS (default 600) at weight DETAIL_WEIGHT (default 15: on training crops the shipped udnie scores
    # 0.27, the free run 4.06, a hold at 20000 0.38), style weight 7 at 3 octaves, lr 3e-4, --bf16, from
    # DETAIL_INIT (a run folder or weights; default the udnie free run), one setting per call. DETAIL_WINDOW
    # (odd px): the energy of the pixels around each instead of the whole crop's (udnie 600 steps from the free run:
    # whole crop at 5 / 15: texture 0.42 / 0.47, colour 0.24 / 0.21, bikes in the stream 1.79 / 1.59)
    s=${FREE_STYLE:-udnie:udnie.jpg} w=${DETAIL_WEIGHT:-15} n=${DETAIL_STEPS:-600} win=${DETAIL_WINDOW:-0}
    init=${DETAIL_INIT:-$RUNS/style-${s%%:*}-free0-lr3e-4}
    # DETAIL_OCCLUDE=1: with --stability-occlude (an object crosses the crop; bikes' flicker is on its moving bus roof)
    flags=()
    [ -n "${DETAIL_OCCLUDE:-}" ] && flags=(--stability-occlude)
    # DETAIL_CARRIED=1: the next frame with the first frame's norm statistics, as the stream carries them
    [ -n "${DETAIL_CARRIED:-}" ] && flags+=(--stability-carried)
    # DETAIL_PERTURB=camera|codec: the next frame's change (default pixel noise)
    [ -n "${DETAIL_PERTURB:-}" ] && flags+=(--stability-perturb "$DETAIL_PERTURB")
    # DETAIL_CEILING (mean squared detail, e.g. 0.0016: the free udnie's on BSD200 crops): the energy counts up to
    # it, so stronger strokes do not lower the term (per-detail 15 tripled it in 600 steps: 0.0016 -> 0.0050)
    STYLE_STEPS=$n STABILITY=$w LR=3e-4 STYLE_WEIGHT=7 \
      STY_OUT=$RUNS/style-${s%%:*}${ANTIALIAS:+-aa}-detail$w${DETAIL_WINDOW:+-win$win}${DETAIL_CEILING:+-ceil$DETAIL_CEILING}${DETAIL_OCCLUDE:+-occl}${DETAIL_CARRIED:+-carried}${DETAIL_PERTURB:+-$DETAIL_PERTURB}-from-$(basename "$init" .pt) \
      sty "${s%%:*}" "${s#*:}" --init "$(weights_of "$init")" --style-octaves 3 --bf16 --stability-per-detail \
      --stability-detail-window "$win" --stability-detail-ceiling "${DETAIL_CEILING:-0}" "${flags[@]}"
    ;;
  style-noise)  # bikes (near still: under a level of change a frame) flickers 1.7-2.4 for every full style,
    # whose stability term only ever saw noise of std 0.04 (10 levels): 400 more steps at 20000 from the
    # shipped udnie with noise std $NOISE (default 0.04), or per sample log-uniform from $NOISE_MIN
    out=$RUNS/style-udnie-noise${NOISE_MIN:+$NOISE_MIN-}${NOISE:-0.04}
    STYLE_STEPS=400 STABILITY=20000 LR=3e-4 STY_OUT=$out sty udnie udnie.jpg --init train/weights/style-udnie.pt \
      --stability-noise "${NOISE:-0.04}" ${NOISE_MIN:+--stability-noise-min "$NOISE_MIN"}
    ;;
  style-perturb)  # bikes again: the plain net ignores per-pixel noise (output/input change 0.1) but follows
    # noise correlated over a few px (1.0) and JPEG blocks (0.5), the changes a codec makes between frames:
    # 400 more steps at 20000 from the shipped udnie with --stability-perturb camera (noise std 0.005-0.04)
    # (texture 0.58 -> 0.72, colour 0.41 -> 0.59, bikes 1.86 -> 1.54); then at the level codec changes
    # have (std 0.002-0.01, where 10 levels of blurred noise taught it to ignore shading)
    STYLE_STEPS=400 STABILITY=20000 LR=3e-4 STY_OUT=$RUNS/style-udnie-camera sty udnie udnie.jpg \
      --init train/weights/style-udnie.pt --stability-perturb camera --stability-noise-min 0.005
    STYLE_STEPS=400 STABILITY=20000 LR=3e-4 STY_OUT=$RUNS/style-udnie-camera-s01 sty udnie udnie.jpg \
      --init train/weights/style-udnie.pt --stability-perturb camera --stability-noise 0.01 --stability-noise-min 0.002
    ;;
  style-codec)  # bikes' flicker is the codec's: its frames change by under a level, and what changes is
    # requantised blocks. --stability-perturb codec puts the stability term's two frames (half of them
    # still) through one H.264 encode with 0.5-2.5 levels of sensor noise each, so the second arrives
    # inter-coded; 400 more steps at 20000 from the shipped udnie (as style-perturb): bikes 1.86 -> 2.36,
    # texture 0.58 -> 0.54 (README, style section): not the mechanism
    STYLE_STEPS=400 STABILITY=20000 LR=3e-4 STY_OUT=$RUNS/style-udnie-codec sty udnie udnie.jpg \
      --init train/weights/style-udnie.pt --stability-perturb codec --stability-noise 0.01 --stability-noise-min 0.002
    ;;
  style-relative)  # style-codec left bikes at 2.36 (shipped udnie 1.86): the MSE stability term charges a change
    # by its size, so the under-a-level changes of a near-still compressed clip cost nothing however much the
    # net amplifies them. --stability-relative charges output change / input change (the flicker figure's
    # ratio) at every size; 400 more steps from the shipped udnie, one setting per call:
    # PERTURB (codec | camera), STABILITY (the ratio's weight; the shipped udnie scores ~0.3 on pixel noise,
    # 0.9 on camera noise, 0.3 on codec pairs), NOISE / NOISE_MIN (the perturbation's std range)
    p=${PERTURB:-codec} w=${STABILITY:-15}
    STYLE_STEPS=400 STABILITY=$w LR=3e-4 STY_OUT=$RUNS/style-udnie-rel-$p-w$w sty udnie udnie.jpg \
      --init train/weights/style-udnie.pt --stability-perturb "$p" --stability-relative \
      --stability-noise "${NOISE:-0.01}" --stability-noise-min "${NOISE_MIN:-0.002}"
    ;;
  style-context)  # what enters a panning frame changes every InstanceNorm's statistics and so the whole
    # output: on bikes (a bus roof moving through) the shipped udnie's flicker falls 1.86 -> 1.44 with its
    # statistics frozen at the first frame (benchmarks/studies/norm_stats.py). The stability term's move brought
    # black in; --stability-context brings in the real content around the crop. 400 more steps at 20000
    # (the shipped recipe's own term) from the shipped udnie: bikes 2.05, texture 0.56; the slim (slim-context) 1.56
    STYLE_STEPS=400 STABILITY=20000 LR=3e-4 STY_OUT=$RUNS/style-udnie-context sty udnie udnie.jpg \
      --init train/weights/style-udnie.pt --stability-context
    ;;
  style-occlude)  # bikes' flicker follows the InstanceNorm statistics (frozen statistics: udnie 1.86 -> 1.44),
    # which a large object moving through a still street changes: --stability-occlude pastes a square of
    # another crop that appears, leaves or moves between the stability term's two frames and holds the
    # output still away from it; 400 more steps at STABILITY (default 20000) from the shipped udnie. At 20000
    # bikes 1.86 -> 1.42 per frame, but texture 0.58 -> 0.90, colour 0.41 -> 1.20: the blur again; 5000: bikes 2.67,
    # texture 0.69; 2000: bikes 3.29, texture 0.53 (README)
    w=${STABILITY:-20000}
    STYLE_STEPS=400 STABILITY=$w LR=3e-4 STY_OUT=$RUNS/style-udnie-occlude-w$w sty udnie udnie.jpg \
      --init train/weights/style-udnie.pt --stability-occlude
    ;;
  slim-occlude)  # the same for the slims (SLIM_STYLES as slim-perturb): 400 steps of the shipped slim's
    # second stage with --stability-occlude on top of its camera perturbation (udnie-slim: texture 0.63 -> 0.70,
    # colour 0.42 -> 0.58, bikes 1.63 -> 1.65: worse on every figure; README)
    for s in ${SLIM_STYLES:-udnie:udnie.jpg}; do
      distil "${s%%:*}" "train/weights/style-${s%%:*}.pt" "$RUNS/style-${s%%:*}-slim-occlude" 400 \
        "train/weights/style-${s%%:*}-slim.pt" --val-every 200 --style "${VGX_DATA:-../shared/data}/style/style-images/${s#*:}" \
        --style-weight 5 --stability-perturb camera --stability-noise-min 0.005 --stability-occlude
    done
    ;;
  slim-perturb)  # the slims over 1.3 on bikes (udnie 1.60, starry-night 1.57, composition-vii 1.47): 400
    # steps of the shipped slim's second stage (distilled from the shipped full with the painting's
    # style term) with --stability-perturb camera: the teacher's picture anchors what the full
    # model lost to the perturbation (one per call for two cores: SLIM_STYLES="wave:wave.jpg ...");
    # udnie: bikes 1.60 -> 1.35 but texture 0.66 -> 0.70, gradient 0.43 -> 0.35; SLIM_STYLE_WEIGHT=5 for more
    # of the painting (shipped for udnie, starry-night, composition-vii, and, with the stream holding them
    # still, wave, the-scream and shipwreck; then every one at SLIM_STYLE_WEIGHT=10 after its 5: README,
    # sharper slims)
    # SLIM_TEACHER (a run folder or weights; default the shipped full) distils from a full model not yet shipped
    for s in ${SLIM_STYLES:-udnie:udnie.jpg}; do
      distil "${s%%:*}" "${SLIM_TEACHER:-train/weights/style-${s%%:*}.pt}" \
        "$RUNS/style-${s%%:*}-slim-camera${SLIM_STYLE_WEIGHT:+-w$SLIM_STYLE_WEIGHT}${SLIM_TEACHER:+-$(basename "$SLIM_TEACHER" .pt)}" 400 \
        "train/weights/style-${s%%:*}-slim.pt" --val-every 200 --style "${VGX_DATA:-../shared/data}/style/style-images/${s#*:}" \
        --style-weight "${SLIM_STYLE_WEIGHT:-1}" --stability-perturb camera --stability-noise-min 0.005
    done
    ;;
  slim-context)  # the slims as slim-perturb made them, with --stability-context too (udnie-slim's bikes: 1.63,
    # 1.23 with its statistics frozen): 400 steps from the shipped slim (SLIM_STYLES as slim-perturb)
    for s in ${SLIM_STYLES:-udnie:udnie.jpg}; do
      distil "${s%%:*}" "train/weights/style-${s%%:*}.pt" "$RUNS/style-${s%%:*}-slim-context" 400 \
        "train/weights/style-${s%%:*}-slim.pt" --val-every 200 --style "${VGX_DATA:-../shared/data}/style/style-images/${s#*:}" \
        --style-weight 5 --stability-perturb camera --stability-noise-min 0.005 --stability-context
    done
    ;;
  slim-c)  # the slims of style-c's styles, each once its full model is done: distilled with the painting's
    # style term (udnie's second stage) straight from the shipped udnie slim
    for s in $STYLES; do
      [ "$(done_steps "$RUNS/style-${s%%:*}-stab20000")" -ge 400 ] || continue  # its full model is not done yet
      distil "${s%%:*}" "$RUNS/style-${s%%:*}-stab20000" "$RUNS/style-${s%%:*}-slim-distill-style" 1000 \
        train/weights/style-udnie-slim.pt --val-every 250 --style "${VGX_DATA:-../shared/data}/style/style-images/${s#*:}" \
        --style-weight 1
    done
    ;;
  clean-d)  # the clean SR goals still short (Set5: espcn-x4 30.38 for 30.60, compact-x2 37.03 for 37.08):
    # further slices from the shipped weights, the cosine restarted lower
    RUNS_NAME=espcn-x4-d run_as espcn-x4 16000 32 24 5e-4 --init train/weights/espcn-x4.pt
    RUNS_NAME=compact-x2-d run_as compact-x2 6000 32 48 1e-4 --init train/weights/compact-x2.pt
    ;;
  clean-e)  # the same for compact-x4 (Set5 30.54, goal 30.80) and SRResNet (31.04, goal 31.3), in slices
    RUNS_NAME=compact-x4-e run_as compact-x4 8000 32 24 2e-4 --init train/weights/compact-x4.pt
    RUNS_NAME=srresnet-x4-e run_as srresnet-x4 20000 16 24 1e-4 --init train/weights/srresnet-x4.pt \
      --stop-at "${SRRESNET_STOP_AT:-4000}"
    ;;
  clean-f)  # the last hundredths (Set5: compact-x4 30.797 for 30.80, espcn-x2-real +0.99 over bicubic on mild
    # Set5 for +1.0, espcn-x4 30.51 for 30.60): one more slice each from the shipped weights, lower lr
    RUNS_NAME=compact-x4-f run_as compact-x4 4000 32 24 1e-4 --init train/weights/compact-x4.pt
    RUNS_NAME=espcn-x2-real-i run_as espcn-x2-real 4000 32 32 2e-4 --init train/weights/espcn-x2-real.pt --degradations camera
    RUNS_NAME=espcn-x4-f run_as espcn-x4 16000 32 24 2e-4 --init train/weights/espcn-x4.pt
    ;;
  clean-g)  # finishing slices under PSNR's own error (--pixel-loss l2), the cosine from a low lr to ~0: SRResNet from
    # the clean-e slice (Set5 31.0-31.2 at lr 1e-4), espcn-x4 from the shipped weights (30.53, flat for 8000 steps)
    RUNS_NAME=espcn-x4-g run_as espcn-x4 8000 32 24 5e-5 --init train/weights/espcn-x4.pt --pixel-loss l2
    RUNS_NAME=srresnet-x4-g run_as srresnet-x4 5000 16 24 5e-5 --init "$RUNS/srresnet-x4-e/last.pt" --pixel-loss l2 \
      --stop-at "${SRRESNET_STOP_AT:-5000}"
    ;;
  # Fine-tunes of the per-channel-PReLU runs above to one slope per layer (fusable; ORT
  # CPU 640x360: fsrcnn-x2 150 -> 75 ms, compact-x2 285 -> 135 ms); shipped only where Set5 holds.
  clean-h)  # espcn-x4 (Set5 30.53 for 30.60) converged on the 291 images under L1 and L2 (clean-f, clean-g):
    # the same images again at 0.9-0.6 of their size (--rescales, VDSR's augmentation), from the shipped weights
    # (Set5 30.53 -> 30.55, Set14 27.60 -> 27.61), then the same under PSNR's own error from 5e-5
    RUNS_NAME=espcn-x4-h run_as espcn-x4 8000 32 24 2e-4 --init train/weights/espcn-x4.pt --rescales 0.9,0.8,0.7,0.6
    RUNS_NAME=espcn-x4-h2 run_as espcn-x4 8000 32 24 5e-5 --init "$RUNS/espcn-x4-h/model.pt" --rescales 0.9,0.8,0.7,0.6 \
      --pixel-loss l2
    ;;
  clean-i)  # espcn-x4 (Set5 30.57 after clean-h, goal 30.60; the runs of clean-h were lost with their machine):
    # one long slice under PSNR's own error from the shipped weights (30.53), the rescaled copies, twice the batch.
    # It ended at Set5 30.57, Set14 27.62 (flat from step 500), where clean-h ended: converged, not shipped
    RUNS_NAME=espcn-x4-i run_as espcn-x4 16000 64 24 1e-4 --init train/weights/espcn-x4.pt --rescales 0.9,0.8,0.7,0.6 \
      --pixel-loss l2
    ;;
  clean-j)  # espcn-x4 (converged at Set5 30.57 under L1 and L2, goal 30.60): clean-i's slice again with a moving
    # average of the weights (--ema 0.999, as Real-ESRGAN keeps): the last iterate wanders around the minimum.
    # Set5 30.56 from step 1500 to 6500, the average 0.001 dB over the last iterate there: stopped, not a recipe
    RUNS_NAME=espcn-x4-j run_as espcn-x4 16000 64 24 1e-4 --init train/weights/espcn-x4.pt --rescales 0.9,0.8,0.7,0.6 \
      --pixel-loss l2 --ema 0.999
    ;;
  clean-k)  # espcn-x4 (converged at Set5 30.57 on ground-truth targets, goal 30.60): output distillation from
    # srresnet-x4 (31.34): the targets are (1-w)*HR + w*srresnet(LR), computed once per image (--teacher), under L2
    # from the shipped weights, the rescaled copies; TEACHER_WEIGHT (default 0.5). Set5 30.57, Set14 27.62 at 0.5
    # and at 1 (the teacher alone), where clean-i ended: not shipped
    RUNS_NAME=espcn-x4-k${TEACHER_WEIGHT:-0.5} run_as espcn-x4 8000 64 24 1e-4 --init train/weights/espcn-x4.pt \
      --rescales 0.9,0.8,0.7,0.6 --pixel-loss l2 --teacher srresnet-x4 --teacher-weight "${TEACHER_WEIGHT:-0.5}"
    ;;
  fuse-a)
    tune fsrcnn-x2 2000 32 32 2e-4
    tune fsrcnn-x3 2000 32 32 2e-4
    tune fsrcnn-x4 2000 32 24 2e-4
    tune compact-x4 2000 32 24 1e-4
    ;;
  fuse-b)
    tune compact-x2 2000 32 48 1e-4
    ;;
  fuse-c)  # more slices where 2000 steps left Set5 below the per-channel model (x3: 32.820 vs 32.868)
    tune fsrcnn-x3 8000 32 32 2e-4
    tune fsrcnn-x3 12000 32 32 1e-4
    ;;
  fuse-d)
    tune fsrcnn-x4 6000 32 24 2e-4
    ;;
  fuse-e)  # SRResNet from its latest checkpoint (2625 steps), then SRGAN again from that
    INIT=$RUNS/srresnet-x4/last.pt tune srresnet-x4 1500 16 24 1e-4
    RUNS_NAME=srgan-x4-fused run_as srgan-x4 400 8 24 1e-4 --init "$RUNS/srresnet-x4-fused/model.pt" --val-every 100 \
      --ckpt-every 50
    ;;
  # Real-world twins (issue: real-world SR), on degraded pairs (vgx.train.degrade, validated on
  # Set5 at the `mild` setting); the SR ones fine-tune the shipped clean model of the same net.
  real-a)
    RUNS_NAME=compact-x2-real run_as compact-x2-real 4000 16 48 2e-4 --init train/weights/compact-x2.pt
    RUNS_NAME=espcn-x2-real run_as espcn-x2-real 4000 32 32 5e-4 --init train/weights/espcn-x2.pt
    ;;
  real-c)  # 4000 steps at 2e-4 plateaued at 30.46 dB mild Set5 (bicubic 30.12): longer, larger crops, higher lr
    RUNS_NAME=compact-x2-real-c run_as compact-x2-real 8000 16 64 5e-4 --init "$RUNS/compact-x2-real/model.pt"
    ;;
  real-b)
    run compact-x1-real 6000 16 48 5e-4
    RUNS_NAME=compact-x4-real run_as compact-x4-real 4000 16 24 2e-4 --init train/weights/compact-x4.pt
    ;;
  real-e)  # compact-x4-real's second slice, as real-c did for x2: 4000 steps at 2e-4 left mild Set5 at
    # 26.68 dB (bicubic 26.20, goal +0.6): longer, larger crops, higher lr
    RUNS_NAME=compact-x4-real-c run_as compact-x4-real 8000 16 32 5e-4 --init "$RUNS/compact-x4-real/model.pt"
    ;;
  real-g)  # the x2 -real models on camera-like pairs (degrade.CAMERA: one downscale to the LR size, no
    # rescale around it): restoring at LR then a clean x2 net beat the wide config's x2 models by 0.6 dB
    RUNS_NAME=espcn-x2-real-g run_as espcn-x2-real 4000 32 32 5e-4 --init train/weights/espcn-x2.pt --degradations camera
    RUNS_NAME=compact-x2-real-g run_as compact-x2-real 4000 16 48 5e-4 --init train/weights/compact-x2.pt \
      --degradations camera
    ;;
  real-h)  # x4 on camera pairs too (the wide pairs' two slices: mild Set5 26.74, +0.54 over bicubic)
    RUNS_NAME=compact-x4-real-h run_as compact-x4-real 4000 16 32 5e-4 --init train/weights/compact-x4.pt --degradations camera
    ;;
  real-i)  # H.264 input is where the x2 -real models fall short (+0.73-0.86 dB over bicubic on h264 Set5 against
    # +1.0): degrade.STREAM (camera pairs, codec twice as often), 4000 steps from the shipped weights
    RUNS_NAME=compact-x2-real-i run_as compact-x2-real 4000 16 48 2e-4 --init train/weights/compact-x2-real.pt \
      --degradations stream
    # x4 too (camera pairs: h264 Set5 +0.59 over bicubic, goal +0.6)
    RUNS_NAME=compact-x4-real-i run_as compact-x4-real 4000 16 32 2e-4 --init train/weights/compact-x4-real.pt \
      --degradations stream
    ;;
  real-j)  # real-i's compact-x2-real (stream pairs: h264 Set5 29.84 for the goal 29.91, mild 31.09 for 31.12),
    # 8000 more steps on the same pairs at half the lr: both short by under 0.1 dB
    RUNS_NAME=compact-x2-real-j run_as compact-x2-real 8000 16 48 1e-4 --init "$RUNS/compact-x2-real-i/model.pt" \
      --degradations stream
    ;;
  real-k)  # real-j's compact-x2-real (mild Set5 31.117 for 31.12, h264 29.85 for 29.91) under PSNR's own error
    # (--pixel-loss l2), the cosine from 5e-5: what took SRResNet over its goal (clean-g)
    RUNS_NAME=compact-x2-real-k run_as compact-x2-real 6000 16 48 5e-5 --init "$RUNS/compact-x2-real-j/model.pt" \
      --degradations stream --pixel-loss l2
    ;;
  real-l)  # the x2 H.264 figure's case is a clean frame through the codec, which degrade.STREAM's pairs
    # (noise before the codec 85% of the time) rarely were: degrade.NETWORK draws the noise half as often;
    # 4000 steps from the shipped compact-x2-real, as real-i: h264 Set5 29.84 (as real-i), mild 31.01: not shipped
    RUNS_NAME=compact-x2-real-l run_as compact-x2-real 4000 16 48 2e-4 --init train/weights/compact-x2-real.pt \
      --degradations network
    ;;
  real-d)  # restoration again on its own degradation (degrade.RESTORE: no resize stage, little blur).
    # Stopped at 3000 steps: the net never left the identity (README, real-world input); not a recipe
    RUNS_NAME=compact-x1-real-r run_as compact-x1-real 6000 16 48 5e-4
    ;;
  real-f)  # restoration from compact-x2-real's body, its head's phases averaged (checkpoint._phase_mean_head):
    # the 14 plain layers pass almost no gradient from a fresh init; from the x2 body they learn at once
    RUNS_NAME=compact-x1-real-f run_as compact-x1-real 6000 16 48 2e-4 --init train/weights/compact-x2-real.pt
    ;;
  faces)
    face_split
    gen dcgan-faces 6000 64 2e-4  # 2500 first (66% faces found), then a second slice
    gen vae-faces 2500 64 1e-3
    ;;
  faces-v2)  # the VAE that keeps the person (issue: face editing): 128 latents, KL weight 0.05 (the VGG-19
    # feature term, --perceptual-weight, cost 3.5 s a step on one busy core: left out of this run)
    face_split
    RUNS_NAME=vae-faces-v2 gen vae-faces 4000 64 1e-3 --beta 0.05
    ;;
  faces-v3)  # held-out people kept (issue: face editing): v2 sat at 22.1 dB from step 250 on (it learnt the 36
    # training people); jittered faces (FaceSampler augment), 256 latents, KL weight 0.03, the fitted prior
    face_split
    RUNS_NAME=vae-faces-v3 gen vae-faces 4000 64 1e-3 --beta 0.03
    # (v3 is 9.2 MB: its latent Linears hold 3.1M of 4.6M parameters. A 1x1 conv squeezing the 4x4
    # map to 64 / 128 channels before them, the same recipe, made 4.5 / 6.2 MB nets at 25.8 / 26.0 dB
    # held-out recon but 52% / 55% faces found against v3's 64%: not shipped; in this file's history)
esac
