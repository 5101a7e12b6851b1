#!/usr/bin/env bash
# Runs every benchmark and prints one table: each row a measured median and a
# ratio against the baseline it names, measured in the same process and run
# (docs/performance.md explains the rows and today's figures).
#
#   ./scripts/bench.sh              the full set (about 3 minutes on 2 idle cores)
#   ./scripts/bench.sh --quick      fewer repetitions and sizes (about a minute)
#   ./scripts/bench.sh --markdown   the table in Markdown, for docs/performance.md
#
# Builds the Release build first if needed (scripts/setup.sh when there is no
# build yet; otherwise only the benchmarks' targets). CASCADE_BUILD_DIR picks
# another build directory. The table goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=()
markdown=0
arguments="$*"
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    --markdown) markdown=1 ;;
    -h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

build_dir="${CASCADE_BUILD_DIR:-build}"
benchmarks=(bench_paths bench_engine bench_run bench_random bench_sweep)

# ---- Build ------------------------------------------------------------------------
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  echo "bench: no build in $build_dir yet: running scripts/setup.sh" >&2
  CASCADE_BUILD_DIR="$build_dir" ./scripts/setup.sh >&2
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
if [ "$build_type" != "Release" ]; then
  echo "bench: $build_dir is a '$build_type' build; benchmark a Release build" \
       "(cmake -S . -B $build_dir -DCMAKE_BUILD_TYPE=Release)" >&2
  exit 2
fi
if grep -q '^CASCADE_BUILD_BENCH:BOOL=OFF' "$build_dir/CMakeCache.txt"; then
  cmake "$build_dir" -DCASCADE_BUILD_BENCH=ON >&2
fi
echo "bench: building ${benchmarks[*]}" >&2
cmake --build "$build_dir" -j"$(nproc)" --target "${benchmarks[@]}" >&2

# ---- Run ------------------------------------------------------------------------------
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
run() {
  local name=$1
  shift
  local t0=$SECONDS
  echo "bench: $name" "${quick[@]}" "$@" >&2
  "$build_dir/bench/$name" --tsv "${quick[@]}" "$@" >>"$rows"
  echo "bench: $name took $((SECONDS - t0)) s" >&2
}
run bench_paths --models  # the run driver's threads are bench_run's
run bench_engine
run bench_run
run bench_random
run bench_sweep
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- Print ------------------------------------------------------------------------------
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)
memory=$(free -g | awk '/^Mem:/ {print $2}')
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
compiler_version=$("${compiler:-c++}" --version 2>/dev/null | head -n1 || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit with uncommitted changes"
fi
command="./scripts/bench.sh${arguments:+ $arguments}"
header=(
  "cascade benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, took $(($(date +%s) - started)) s"
  "machine: ${cpu:-unknown CPU}, $(nproc) cores, ${memory} GiB; ${compiler_version:-unknown compiler}; $build_type"
  "load average (1, 5, 15 min) before: $load_before; after: $load_after"
  "command: $command"
  "one thread: thread CPU time; several threads: wall time; every figure a median, every ratio against the baseline named, measured alternately with it"
)

awk -F'\t' -v markdown="$markdown" -v header="$(printf '%s\n' "${header[@]}")" '
  # Three significant figures, as bench/harness.hpp prints them; "-" for none.
  function fmt(v,   a) {
    if (v == "" || v ~ /nan/) return "-"
    v += 0; a = v < 0 ? -v : v
    if (a >= 100) return sprintf("%.0f", v)
    if (a >= 10) return sprintf("%.1f", v)
    if (a >= 1) return sprintf("%.2f", v)
    return sprintf("%#.3g", v)
  }
  {
    n++; section[n] = $1; name[n] = $2; value[n] = fmt($3); unit[n] = $4
    ratio[n] = fmt($5); to[n] = $6; note[n] = $7
    w1 = length(name[n]) + 2 > w1 ? length(name[n]) + 2 : w1
    w2 = length(value[n]) > w2 ? length(value[n]) : w2
    w3 = length(unit[n]) > w3 ? length(unit[n]) : w3
    w4 = length(ratio[n]) > w4 ? length(ratio[n]) : w4
    w5 = length(to[n]) > w5 ? length(to[n]) : w5
  }
  END {
    split(header, lines, "\n")
    for (i = 1; i in lines; i++) if (lines[i] != "") print (markdown ? lines[i] "  " : lines[i])
    print ""
    if (markdown) {
      print "| measurement | median | unit | ratio | ratio to | note |"
      print "| --- | ---: | --- | ---: | --- | --- |"
    } else {
      w2 = w2 < 6 ? 6 : w2; w4 = w4 < 5 ? 5 : w4
      line = sprintf("%-" w1 "s  %" w2 "s  %-" w3 "s  %" w4 "s  %-" w5 "s  %s",
                     "measurement", "median", "unit", "ratio", "ratio to", "note")
      print line
      gsub(/./, "-", line); print line
    }
    for (i = 1; i <= n; i++) {
      if (section[i] != section[i - 1]) {
        if (markdown) print "| **" section[i] "** | | | | | |"
        else print section[i]
      }
      if (markdown)
        printf "| %s | %s | %s | %s | %s | %s |\n", name[i], value[i], unit[i], ratio[i], to[i], note[i]
      else {
        row = sprintf("  %-" (w1 - 2) "s  %" w2 "s  %-" w3 "s  %" w4 "s  %-" w5 "s  %s",
                      name[i], value[i], unit[i], ratio[i], to[i], note[i])
        sub(/ +$/, "", row); print row
      }
    }
  }' "$rows"
