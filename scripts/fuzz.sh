#!/usr/bin/env bash
# Fuzzes the input parsers with libFuzzer (clang), under AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer:
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
#
# Targets (tests/fuzz/): fuzz_scenario (scenario parser and validator, with
# --set overrides), fuzz_positions_csv (positions CSV importer) and
# fuzz_population (parse, then build small populations: the distribution
# samplers on fuzzed parameters).
#
# Installs nothing: it needs clang++ and its runtime (Debian:
# apt-get install -y clang libclang-rt-14-dev) and exits 2 when they are
# missing. It configures and builds build-fuzz/ with clang++ (a separate build
# from the g++ one in build/), then:
#   1. reruns every saved reproducer tests/fuzz/crashes/<target>-* (a fixed
#      finding must stay fixed; one that is not fixed yet fails here);
#   2. fuzzes each target for SECONDS_PER_TARGET on a copy of its seed corpus
#      tests/fuzz/corpus/<target>/ (the committed corpus is never modified; the
#      working corpus build-fuzz/corpus-<target> grows across runs).
# A crash, sanitizer report, leak, uncaught exception other than InputError,
# hang (-timeout=10 s per input) or memory blow-up (-rss_limit_mb=2048) is a
# finding: its input goes to build-fuzz/findings/<target>/ and the script
# exits 1 after fuzzing the remaining targets. To reproduce a finding:
#   build-fuzz/tests/fuzz/<target> FILE
# To minimise one before saving it under tests/fuzz/crashes/<target>-NAME:
#   build-fuzz/tests/fuzz/<target> -minimize_crash=1 -runs=100000 FILE
#
# Environment: CASCADE_FUZZ_BUILD_DIR (default build-fuzz), CXX_FUZZ (the
# clang++ to use, default clang++), CASCADE_FUZZ_TARGETS (space-separated
# subset of the targets), CASCADE_FUZZ_JOBS (build parallelism, default nproc),
# CASCADE_FUZZ_PARALLEL (how many targets fuzz at once, default 1; each still
# fuzzes for SECONDS_PER_TARGET of wall-clock time, sharing the cores).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (a whole number of seconds >= 1)" >&2
    exit 2
fi
build="${CASCADE_FUZZ_BUILD_DIR:-build-fuzz}"
cxx="${CXX_FUZZ:-clang++}"
targets="${CASCADE_FUZZ_TARGETS:-fuzz_scenario fuzz_positions_csv fuzz_population}"
jobs="${CASCADE_FUZZ_JOBS:-$(nproc)}"

missing() {
    echo "error: $1" >&2
    echo "Install clang and its sanitizer/libFuzzer runtime, e.g. on Debian 12:" >&2
    echo "  apt-get install -y clang libclang-rt-14-dev" >&2
    exit 2
}
command -v cmake >/dev/null || { echo "error: cmake not found (scripts/setup.sh installs it)" >&2; exit 2; }
command -v "$cxx" >/dev/null || missing "$cxx not found"
# The runtime is a separate package: check that a fuzzer links, not just that clang runs.
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
    'extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }' \
    >"$probe_dir/probe.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe_dir/probe.cpp" -o "$probe_dir/probe" \
    >"$probe_dir/log" 2>&1; then
    cat "$probe_dir/log" >&2
    missing "$cxx cannot link a libFuzzer + ASan + UBSan program (the compiler-rt runtime is missing?)"
fi

echo "== configure and build $build/ with $cxx"
generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then
    generator=(-G Ninja)
fi
# -O1 (tests/fuzz adds line tables): fast enough to fuzz, readable stack traces; no NDEBUG, so asserts
# (nlohmann's included) are checked too.
mkdir -p "$build"
cmake -S . -B "$build" "${generator[@]}" \
    -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O1 \
    -DCASCADE_FUZZ=ON -DCASCADE_BUILD_TESTS=OFF -DCASCADE_BUILD_BENCH=OFF >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_targets -j "$jobs"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fuzz_options=(-timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1)

for target in $targets; do
    [ -x "$build/tests/fuzz/$target" ] || { echo "error: no such fuzz target: $target" >&2; exit 2; }
done

# Replays one target's reproducers, then fuzzes it. Writes its summary line(s)
# to $build/summary-<target> and what went wrong to $build/report-<target>
# (printed once every target is done, so parallel targets do not interleave);
# returns non-zero on any failure.
fuzz_target() {
    local target=$1 binary="$build/tests/fuzz/$1" dict dict_option=() status=0
    local report="$build/report-$target"
    : >"$report"
    dict="tests/fuzz/${target#fuzz_}.dict"
    [ "$target" = fuzz_population ] && dict=tests/fuzz/scenario.dict
    [ -f "$dict" ] && dict_option=(-dict="$dict")

    # 1. Saved reproducers.
    local reproducers regressions="no reproducers" failed=0 file
    shopt -s nullglob
    reproducers=(tests/fuzz/crashes/"$target"-*)
    shopt -u nullglob
    if [ "${#reproducers[@]}" -gt 0 ]; then
        for file in "${reproducers[@]}"; do
            # In a subshell, so the shell's "Aborted" notice goes to the log too.
            if ! ("$binary" "${fuzz_options[@]}" "$file") >"$build/regression-$target.log" 2>&1; then
                echo "FAIL: $file still fails $target:" >>"$report"
                grep -E "ERROR|what\(\)|violated|runtime error" "$build/regression-$target.log" | head -3 |
                    cut -c1-240 >>"$report" || true
                failed=$((failed + 1))
            fi
        done
        regressions="${#reproducers[@]} reproducers, $failed failing"
        [ "$failed" -eq 0 ] || status=1
    fi

    # 2. Fuzzing, on a working copy of the seed corpus.
    local corpus="$build/corpus-$target" findings="$build/findings/$target"
    local log="$build/fuzz-$target.log" start elapsed execs coverage result artifact rc=0
    mkdir -p "$corpus" "$findings"
    cp -n tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    echo "== $target: fuzzing for $seconds s (log: $log)"
    start=$(date +%s)
    # The outer timeout only guards against libFuzzer itself wedging.
    timeout --kill-after=30 $((seconds * 2 + 120)) \
        "$binary" "${fuzz_options[@]}" "${dict_option[@]}" -max_total_time="$seconds" \
        -artifact_prefix="$findings/" "$corpus" >"$log" 2>&1 || rc=$?
    elapsed=$(($(date +%s) - start))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
    if [ "$rc" -eq 0 ]; then
        result="ok"
    else
        status=1
        artifact=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //' || true)
        result="FINDING (exit $rc)${artifact:+: $artifact}"
        {
            echo "---- $target: finding, from $log:"
            grep -nE "ERROR:|SUMMARY:|what\(\)|violated|runtime error|Test unit written" "$log" | head -10 || true
            # The first frames of the first report, outside libFuzzer and the runtimes.
            grep -m1 -A60 -E "==[0-9]+== ?ERROR|terminate called|violated|runtime error" "$log" |
                grep -E "^ *#[0-9]+ .* in " | grep -vE "fuzzer::|__sanitizer|libc\.so|libstdc\+\+|__asan|__ubsan|nptl/|stdlib/|signal/|csu/| in main |_start" |
                head -12 | cut -c1-240 || true
        } >>"$report"
    fi
    {
        printf '%-20s %-10s %12s execs %6s s  %-34s %s\n' "$target" "${result%%:*}" "${execs:-?}" \
            "$elapsed" "${coverage:-}" "[$regressions]"
        [ "$rc" -eq 0 ] || printf '    %s\n' "$result"
    } >"$build/summary-$target"
    return "$status"
}

# Up to $parallel targets at once (CASCADE_FUZZ_PARALLEL, default 1): each
# fuzzes for the same wall-clock time, sharing the cores.
parallel="${CASCADE_FUZZ_PARALLEL:-1}"
status=0
running=0
for target in $targets; do
    rm -f "$build/summary-$target"
    if [ "$running" -ge "$parallel" ]; then
        wait -n || status=1
        running=$((running - 1))
    fi
    fuzz_target "$target" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || status=1
    running=$((running - 1))
done
summary=()
for target in $targets; do
    if [ -s "$build/report-$target" ]; then cat "$build/report-$target" >&2; fi
    if [ -f "$build/summary-$target" ]; then
        mapfile -t -O "${#summary[@]}" summary <"$build/summary-$target"
    else
        summary+=("$(printf '%-20s %s' "$target" "ERROR (no summary: the script failed)")")
        status=1
    fi
done

echo
echo "== fuzz summary ($seconds s per target)"
printf '%s\n' "${summary[@]}"
if [ "$status" -ne 0 ]; then
    echo "fuzzing found problems: see above and $build/findings/" >&2
fi
exit "$status"
