#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD for SECONDS each, on a scratch copy of its kept corpus
# (fuzz/corpus/<name>), so CI runs never dirty the tree. FUZZ_JOBS targets (default 2, one per
# core: each fuzzer is single-threaded) run at a time, so adding targets does not add their
# whole time. Reports every target, in name order, then fails if any crashed.
set -euo pipefail
build=$1
seconds=$2
jobs_max=${FUZZ_JOBS:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One fuzzer; its exit status goes to $work/<name>.rc (the job itself always succeeds).
run_one() {
    local name=$1 bin=$2 rc=0
    mkdir -p "$work/$name" "$work/$name.artifacts"
    if [ -d "$root/fuzz/corpus/$name" ]; then
        cp -r "$root/fuzz/corpus/$name/." "$work/$name/"
    fi
    "$bin" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$work/$name.artifacts/" "$work/$name" > "$work/$name.log" 2>&1 || rc=$?
    echo "$rc" > "$work/$name.rc"
}

names=()
for bin in "$build"/fuzz/*_fuzz; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin" _fuzz)
    names+=("$name")
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
        wait -n || true
    done
    echo "fuzzing $name for ${seconds}s"
    run_one "$name" "$bin" &
done
wait

status=0
for name in "${names[@]}"; do
    if [ "$(cat "$work/$name.rc" 2>/dev/null || echo missing)" != 0 ]; then
        tail -n 60 "$work/$name.log"
        for a in "$work/$name.artifacts"/*; do # the scratch folder goes: print the input
            [ -f "$a" ] && echo "$name $(basename "$a") base64: $(head -c 65536 "$a" | base64 -w0)"
        done
        echo "FUZZ FAILURE: $name"
        status=1
    else
        grep -E '^stat::number_of_executed_units' "$work/$name.log" | sed "s/^/$name: /"
    fi
done
exit $status
