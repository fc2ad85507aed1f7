#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD for SECONDS each, on a scratch copy of its kept corpus
# (fuzz/corpus/<name>), so CI runs never dirty the tree. Fails on the first crash.
set -euo pipefail
build=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for bin in "$build"/fuzz/*_fuzz; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin" _fuzz)
    mkdir -p "$work/$name"
    if [ -d "$root/fuzz/corpus/$name" ]; then
        cp -r "$root/fuzz/corpus/$name/." "$work/$name/"
    fi
    echo "fuzzing $name for ${seconds}s"
    if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" \
        "$work/$name" > "$work/$name.log" 2>&1; then
        tail -n 60 "$work/$name.log"
        echo "FUZZ FAILURE: $name"
        status=1
    else
        grep -E '^stat::number_of_executed_units' "$work/$name.log" | sed "s/^/$name: /"
    fi
done
exit $status
