#!/usr/bin/env bash
# A PyTorch training step (bench/pytorch_step.py, Debian python3-torch: the same LibTorch 1.13)
# next to step_bench's float and Bayesian Bits steps of the same zoo models, at 1 and 2 threads.
# The two programs alternate (their order flips every round) so machine noise hits both alike;
# each run prints the median of its timed steps, and the table gives the median over the rounds.
#   bash bench/step_vs_pytorch.sh [ROUNDS] [MODEL...]      (default: 5 rounds, all four models)
# BEFORE="FLAGS" adds a third program to each round, step_bench with those flags (say
# "--default-malloc --kernel-isa generic", the step as it was before those two changes), and
# columns for its float and Bayesian Bits steps.
# PYTORCH_ENV="VAR=VALUE ..." adds a second PyTorch run per round under that environment (say the
# OpenBLAS kernels and malloc settings bitsearch gives itself) and columns for it.
# Needs build/bench/step_bench (cmake --build build --target step_bench).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shift || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(lenet5 resnet8 mobilenetv2 vgg7)
batch=${BATCH:-128}
before_flags=${BEFORE:-}
pytorch_env=${PYTORCH_ENV:-}
[ -z "$before_flags" ] || [ -z "$pytorch_env" ] || { echo "step_vs_pytorch: BEFORE or PYTORCH_ENV, not both" >&2; exit 2; }
python=/usr/bin/python3  # Debian's interpreter, which has python3-torch
bench=build/bench/step_bench
[ -x "$bench" ] || { echo "step_vs_pytorch: build $bench first" >&2; exit 1; }

steps_of() {  # timed steps per run: enough for a stable median, few for the big models
  case $1 in
    lenet5 | resnet8) echo 20 ;;
    mobilenetv2) echo 6 ;;
    *) echo 3 ;;
  esac
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field() { awk -v k="$1:" '$1 == k {print $2}'; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wall ms per step (process CPU ms in brackets); batch $batch"
if [ -n "$pytorch_env" ]; then
  echo "PyTorch with: $pytorch_env"
  printf '| model | threads | rounds | pytorch ms | pytorch with env ms | float ms | BB ms | float / pytorch | float / pytorch with env | BB / float | load avg |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
elif [ -n "$before_flags" ]; then
  echo "before: step_bench $before_flags"
  printf '| model | threads | rounds | pytorch ms | float ms | BB ms | float / pytorch | BB / float | float before ms | BB before ms | BB / float before | load avg |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
else
  printf '| model | threads | rounds | pytorch ms | float ms | BB ms | float / pytorch | BB / float | load avg |\n'
  printf '|---|---|---|---|---|---|---|---|---|\n'
fi
for model in "${models[@]}"; do
  steps=$(steps_of "$model")
  for threads in 1 2; do
    pt=() fp=() bb=() ptc=() fpc=() bbc=() fp0=() bb0=() pte=()
    load=$(cut -d' ' -f1 /proc/loadavg)
    for ((r = 0; r < rounds; r++)); do
      run_pt() {
        local out
        out=$($python bench/pytorch_step.py --model "$model" --batch "$batch" --steps "$steps" --threads "$threads")
        pt+=("$(field pytorch_step_ms <<<"$out")")
        ptc+=("$(field pytorch_step_cpu_ms <<<"$out")")
        ptn=$(field pytorch_parameters <<<"$out")
      }
      run_ours() {
        local out
        out=$($bench --model "$model" --batch "$batch" --steps "$steps" --threads "$threads")
        fp+=("$(field fp_step_ms <<<"$out")")
        bb+=("$(field bb_step_ms <<<"$out")")
        fpc+=("$(field fp_step_cpu_ms <<<"$out")")
        bbc+=("$(field bb_step_cpu_ms <<<"$out")")
        fpn=$(field fp_parameters <<<"$out")
      }
      run_before() {
        [ -n "$before_flags" ] || return 0
        local out
        # shellcheck disable=SC2086  # the flags are words
        out=$($bench --model "$model" --batch "$batch" --steps "$steps" --threads "$threads" $before_flags)
        fp0+=("$(field fp_step_ms <<<"$out")")
        bb0+=("$(field bb_step_ms <<<"$out")")
      }
      run_pt_env() {
        [ -n "$pytorch_env" ] || return 0
        local out
        # shellcheck disable=SC2086  # VAR=VALUE words
        out=$(env $pytorch_env $python bench/pytorch_step.py --model "$model" --batch "$batch" --steps "$steps" --threads "$threads")
        pte+=("$(field pytorch_step_ms <<<"$out")")
      }
      if ((r % 2 == 0)); then run_pt; run_ours; run_before; run_pt_env; else run_pt_env; run_before; run_ours; run_pt; fi
    done
    # The same architecture on both sides, or the comparison means nothing.
    [ "$ptn" = "$fpn" ] || { echo "step_vs_pytorch: $model has $fpn parameters here, $ptn in PyTorch" >&2; exit 1; }
    mp=$(printf '%s\n' "${pt[@]}" | median)
    mf=$(printf '%s\n' "${fp[@]}" | median)
    mb=$(printf '%s\n' "${bb[@]}" | median)
    cp=$(printf '%s\n' "${ptc[@]}" | median)
    cf=$(printf '%s\n' "${fpc[@]}" | median)
    cb=$(printf '%s\n' "${bbc[@]}" | median)
    # Ratios per round, then their median: each round's pair ran back to back.
    rf=$(for ((r = 0; r < rounds; r++)); do echo "${fp[r]} ${pt[r]}" | awk '{print $1 / $2}'; done | median)
    rb=$(for ((r = 0; r < rounds; r++)); do echo "${bb[r]} ${fp[r]}" | awk '{print $1 / $2}'; done | median)
    if [ -n "$pytorch_env" ]; then
      mpe=$(printf '%s\n' "${pte[@]}" | median)
      rfe=$(for ((r = 0; r < rounds; r++)); do echo "${fp[r]} ${pte[r]}" | awk '{print $1 / $2}'; done | median)
      printf '| %s | %d | %d | %.1f (%.1f) | %.1f | %.1f (%.1f) | %.1f (%.1f) | %.3f | %.3f | %.3f | %s-%s |\n' \
        "$model" "$threads" "$rounds" "$mp" "$cp" "$mpe" "$mf" "$cf" "$mb" "$cb" "$rf" "$rfe" "$rb" \
        "$load" "$(cut -d' ' -f1 /proc/loadavg)"
    elif [ -n "$before_flags" ]; then
      mf0=$(printf '%s\n' "${fp0[@]}" | median)
      mb0=$(printf '%s\n' "${bb0[@]}" | median)
      rb0=$(for ((r = 0; r < rounds; r++)); do echo "${bb0[r]} ${fp0[r]}" | awk '{print $1 / $2}'; done | median)
      printf '| %s | %d | %d | %.1f (%.1f) | %.1f (%.1f) | %.1f (%.1f) | %.3f | %.3f | %.1f | %.1f | %.3f | %s-%s |\n' \
        "$model" "$threads" "$rounds" "$mp" "$cp" "$mf" "$cf" "$mb" "$cb" "$rf" "$rb" "$mf0" "$mb0" "$rb0" \
        "$load" "$(cut -d' ' -f1 /proc/loadavg)"
    else
      printf '| %s | %d | %d | %.1f (%.1f) | %.1f (%.1f) | %.1f (%.1f) | %.3f | %.3f | %s-%s |\n' "$model" "$threads" \
        "$rounds" "$mp" "$cp" "$mf" "$cf" "$mb" "$cb" "$rf" "$rb" "$load" "$(cut -d' ' -f1 /proc/loadavg)"
    fi
  done
done
