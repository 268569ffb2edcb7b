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
# The median over the rounds of NUM[r] / DEN[r] (array names): each round's runs were back to back.
ratio_median() {
  local -n num=$1 den=$2
  for ((r = 0; r < rounds; r++)); do echo "${num[r]} ${den[r]}"; done | awk '{print $1 / $2}' | median
}

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
      # PyTorch's step, under the environment words in $1 ("" = as installed), into arrays $2 (ms)
      # and $3 (CPU ms, or "" to skip).
      run_pt() {
        local out
        # shellcheck disable=SC2086  # VAR=VALUE words
        out=$(env $1 $python bench/pytorch_step.py --model "$model" --batch "$batch" --steps "$steps" --threads "$threads")
        local -n ms=$2
        ms+=("$(field pytorch_step_ms <<<"$out")")
        if [ -n "$3" ]; then local -n cpu=$3; cpu+=("$(field pytorch_step_cpu_ms <<<"$out")"); fi
        ptn=$(field pytorch_parameters <<<"$out")
      }
      # step_bench with the flag words in $1, into arrays $2 (float ms) and $3 (BB ms), and $4
      # and $5 (their CPU ms, or "" to skip).
      run_ours() {
        local out
        # shellcheck disable=SC2086  # the flags are words
        out=$($bench --model "$model" --batch "$batch" --steps "$steps" --threads "$threads" $1)
        local -n f=$2 b=$3
        f+=("$(field fp_step_ms <<<"$out")")
        b+=("$(field bb_step_ms <<<"$out")")
        if [ -n "$4" ]; then
          local -n fc=$4 bc=$5
          fc+=("$(field fp_step_cpu_ms <<<"$out")")
          bc+=("$(field bb_step_cpu_ms <<<"$out")")
        fi
        fpn=$(field fp_parameters <<<"$out")
      }
      run_now() { run_ours "" fp bb fpc bbc; }
      run_before() { [ -z "$before_flags" ] || run_ours "$before_flags" fp0 bb0 "" ""; }
      run_pt_now() { run_pt "" pt ptc; }
      run_pt_env() { [ -z "$pytorch_env" ] || run_pt "$pytorch_env" pte ""; }
      if ((r % 2 == 0)); then run_pt_now; run_now; run_before; run_pt_env; else run_pt_env; run_before; run_now; run_pt_now; fi
    done
    # The same architecture on both sides, or the comparison means nothing.
    [ "$ptn" = "$fpn" ] || { echo "step_vs_pytorch: $model has $fpn parameters here, $ptn in PyTorch" >&2; exit 1; }
    mp=$(printf '%s\n' "${pt[@]}" | median)
    mf=$(printf '%s\n' "${fp[@]}" | median)
    mb=$(printf '%s\n' "${bb[@]}" | median)
    cp=$(printf '%s\n' "${ptc[@]}" | median)
    cf=$(printf '%s\n' "${fpc[@]}" | median)
    cb=$(printf '%s\n' "${bbc[@]}" | median)
    rf=$(ratio_median fp pt)
    rb=$(ratio_median bb fp)
    if [ -n "$pytorch_env" ]; then
      mpe=$(printf '%s\n' "${pte[@]}" | median)
      rfe=$(ratio_median fp pte)
      printf '| %s | %d | %d | %.1f (%.1f) | %.1f | %.1f (%.1f) | %.1f (%.1f) | %.3f | %.3f | %.3f | %s-%s |\n' \
        "$model" "$threads" "$rounds" "$mp" "$cp" "$mpe" "$mf" "$cf" "$mb" "$cb" "$rf" "$rfe" "$rb" \
        "$load" "$(cut -d' ' -f1 /proc/loadavg)"
    elif [ -n "$before_flags" ]; then
      mf0=$(printf '%s\n' "${fp0[@]}" | median)
      mb0=$(printf '%s\n' "${bb0[@]}" | median)
      rb0=$(ratio_median bb0 fp0)
      printf '| %s | %d | %d | %.1f (%.1f) | %.1f (%.1f) | %.1f (%.1f) | %.3f | %.3f | %.1f | %.1f | %.3f | %s-%s |\n' \
        "$model" "$threads" "$rounds" "$mp" "$cp" "$mf" "$cf" "$mb" "$cb" "$rf" "$rb" "$mf0" "$mb0" "$rb0" \
        "$load" "$(cut -d' ' -f1 /proc/loadavg)"
    else
      printf '| %s | %d | %d | %.1f (%.1f) | %.1f (%.1f) | %.1f (%.1f) | %.3f | %.3f | %s-%s |\n' "$model" "$threads" \
        "$rounds" "$mp" "$cp" "$mf" "$cf" "$mb" "$cb" "$rf" "$rb" "$load" "$(cut -d' ' -f1 /proc/loadavg)"
    fi
  done
done
