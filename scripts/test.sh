#!/usr/bin/env bash
# Runs the whole test suite: the doctest cases and the Python (h5py) checks,
# all registered with CTest. Installs and builds first when needed (via
# setup.sh, which only does what is missing). Exits non-zero on any failure.
#
#   ./scripts/test.sh                   the suite on the Release build in build/
#   ./scripts/test.sh --all             that, then every check stage below (what CI runs)
#   ./scripts/test.sh --sanitize        the suite, then both sanitizer stages:
#       asan  the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer
#             (and LeakSanitizer), built in build-asan/
#       tsan  multi-threaded runs and the doctest cases under ThreadSanitizer, built in
#             build-tsan/ against a ThreadSanitizer build of oneTBB made from Debian's
#             source package
#   ./scripts/test.sh --sanitize=asan   (or =tsan) the suite, then only that stage
#   ./scripts/test.sh --tidy            the suite, then clang-tidy (.clang-tidy's checks)
#                                       over every source file, in build-tidy/
#   ./scripts/test.sh --fuzz[=SECONDS]  the suite, then scripts/fuzz.sh: the saved
#                                       reproducers, then every fuzz target for SECONDS
#                                       (default 45), all targets at once, in build-fuzz/
# The stage options combine. With CI=true and no stage option, every stage runs
# (as --all). A stage fails on a failing test, on any sanitizer report from any
# process (collected in build-*/sanitizer-logs/ and printed), on any clang-tidy
# finding and on any fuzzing finding; the other stages still run, and a summary
# with each stage's time ends the output.
# The tidy and fuzz stages install what they need the way setup.sh does (only
# missing packages): clang-tidy; clang and libclang-rt-14-dev.
# CASCADE_TSAN_TBB_DIR=<dir with TBBConfig.cmake> uses a ThreadSanitizer build
# of oneTBB you already have instead of fetching and building one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=scripts/packages.sh
. scripts/packages.sh

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

stages=()
add_stage() {
  local stage
  for stage in "$@"; do
    [[ " ${stages[*]} " == *" $stage "* ]] || stages+=("$stage")
  done
}
fuzz_seconds=45
for arg in "$@"; do
  case "$arg" in
    --all) add_stage tidy fuzz asan tsan ;;
    --sanitize | --sanitize=asan,tsan | --sanitize=tsan,asan) add_stage asan tsan ;;
    --sanitize=asan | --sanitize=tsan) add_stage "${arg#--sanitize=}" ;;
    --tidy) add_stage tidy ;;
    --fuzz) add_stage fuzz ;;
    --fuzz=*)
      fuzz_seconds=${arg#--fuzz=}
      if ! [[ "$fuzz_seconds" =~ ^[1-9][0-9]*$ ]]; then
        echo "test.sh: --fuzz=SECONDS needs a whole number of seconds, got '$fuzz_seconds'" >&2
        exit 2
      fi
      add_stage fuzz
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done
if [ "${CI:-}" = true ] && ((${#stages[@]} == 0)); then
  add_stage tidy fuzz asan tsan
fi
jobs=$(nproc)

summary=()
failed=0
stage_start=$SECONDS
notes=""
header() {
  printf '\n==== test.sh: %s ====\n' "$*"
}
# Runs one stage in a subshell with errexit on; records how it went and how long
# it took, and the lines the stage wrote to $notes (its key figures).
run_stage() {
  local name=$1 fn=$2 start=$SECONDS status
  stage_start=$SECONDS
  notes=$(mktemp)
  set +e
  (set -e; "$fn")
  status=$?
  set -e
  local took=$((SECONDS - start))
  local line
  line=$(printf '%-26s %-6s %3dm%02ds' "$name" "$([ $status -eq 0 ] && echo passed || echo FAILED)" \
    $((took / 60)) $((took % 60)))
  summary+=("$line")
  printf '==== test.sh: %s\n' "$line"
  while IFS= read -r note; do summary+=("    $note"); done <"$notes"
  rm -f "$notes"
  if [ $status -ne 0 ]; then failed=1; fi
}

# Prints how long the current stage has run, after a step ($1).
step_done() {
  printf '==== test.sh: %s done (%dm%02ds into the stage)\n' "$1" $(((SECONDS - stage_start) / 60)) \
    $(((SECONDS - stage_start) % 60))
}

# Prints every sanitizer report written under $1; fails if there was one.
check_sanitizer_logs() {
  local logs=$1 found=0 file
  for file in "$logs"/*; do
    [ -e "$file" ] || continue
    found=$((found + 1))
    echo "---- sanitizer report: $file"
    cat "$file"
  done
  if [ "$found" -gt 0 ]; then
    echo "$found sanitizer report(s) above (also kept in $logs)" >&2
    echo "$found sanitizer report(s) in $logs" >>"$notes"
    return 1
  fi
  echo "no sanitizer reports"
  echo "no sanitizer reports" >>"$notes"
}

# Configures and builds the sanitizer build $1 (further arguments go to cmake)
# as a unity build: each batch of .cpp files compiles as one translation unit,
# which halves the build's time. Two .cpp files of one batch that define the
# same name in their anonymous namespaces do not compile that way: then it
# says so and builds file by file instead.
unity_build() {
  local build=$1
  shift
  cmake -S . -B "$build" -DCMAKE_UNITY_BUILD=ON "$@"
  if cmake --build "$build" -j"$jobs" 2>&1 | tee "$build/unity-build.log"; then
    return 0
  fi
  if ! grep -qE "error: (redefinition|conflicting declaration|.* previously (declared|defined))" \
    "$build/unity-build.log"; then
    return 1
  fi
  echo "test.sh: WARNING: the unity build of $build/ failed on a name defined twice in one batch" \
    "(above); building file by file instead (slower). Rename one of the two." >&2
  echo "unity build failed on a name clash: built file by file" >>"$notes"
  cmake -S . -B "$build" -DCMAKE_UNITY_BUILD=OFF
  cmake --build "$build" -j"$jobs"
}

# CTest starts the tests it knows to be slow first, from the times it recorded;
# a fresh build directory has none, so it gets the default suite's, which rank
# the tests about the same way.
seed_test_costs() {
  local from=${CASCADE_BUILD_DIR:-build}/Testing/Temporary/CTestCostData.txt
  local to=$1/Testing/Temporary/CTestCostData.txt
  if [ ! -f "$to" ] && [ -f "$from" ]; then
    mkdir -p "$(dirname "$to")"
    cp "$from" "$to"
  fi
}

# ---------------------------------------------------------------------------
# The default suite: exactly what test.sh always ran.
stage_default() {
  header "default suite (${CASCADE_BUILD_DIR:-build}/, Release)"
  ./scripts/setup.sh
  step_done build
  ctest --test-dir "${CASCADE_BUILD_DIR:-build}" --output-on-failure -j"$jobs"
  step_done tests
}

# ---------------------------------------------------------------------------
# clang-tidy with the checks in .clang-tidy, over every source file: library,
# executable, tests and benchmarks (the fuzz targets build only with clang).
# It runs on unity translation units (batches of 16 .cpp files, from a
# configure-only build directory): each header is parsed and checked once per
# batch instead of once per file, a third of the time. Any finding fails.
stage_tidy() {
  header "clang-tidy (.clang-tidy, build-tidy/)"
  install_missing_packages clang-tidy
  local build=build-tidy log=$root/build-tidy/clang-tidy.log tidy runner
  tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
  runner=$(command -v run-clang-tidy-14 || command -v run-clang-tidy)
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON \
    -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 -DCASCADE_BUILD_TESTS=ON -DCASCADE_BUILD_BENCH=ON >/dev/null
  cmake --build "$build" --target cascade_build_info >/dev/null
  local units
  units=$(grep -c '"file":' "$build/compile_commands.json")
  echo "$("$tidy" --version | grep -o 'version [0-9.]*'): $units translation units," \
    "$(grep -c '\.cpp"$' "$build"/CMakeFiles/*.dir/Unity/*.cxx "$build"/*/CMakeFiles/*.dir/Unity/*.cxx |
      awk -F: '{n += $2} END {print n}') source files"
  local status=0
  # Diagnostics from the project's own files, wherever they are included from.
  "$runner" -clang-tidy-binary "$tidy" -p "$build" -j "$jobs" -quiet \
    -header-filter="^$root/(sim|models|output|tests|bench)/" >"$log" 2>&1 || status=$?
  local findings
  findings=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^/.*: (warning|error): ' | sort -u || true)
  if [ -n "$findings" ]; then
    # The findings with their context (clang-tidy repeats those in headers once per batch).
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -vE '^(clang-tidy|/usr/bin/clang-tidy)' |
      grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' || true
    echo
    echo "clang-tidy: $(wc -l <<<"$findings") finding(s):"
    sed "s#^$root/##" <<<"$findings"
    echo "$(wc -l <<<"$findings") finding(s)" >>"$notes"
    return 1
  fi
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log"
    echo "clang-tidy failed (see $log)" >&2
    return 1
  fi
  echo "clang-tidy: no findings"
  echo "no findings in $units translation units" >>"$notes"
}

# ---------------------------------------------------------------------------
# Fuzzing (scripts/fuzz.sh): the saved reproducers, then every target at once
# for $fuzz_seconds of wall-clock time (on 2 cores, two thirds of that each).
stage_fuzz() {
  header "fuzzing: ${fuzz_seconds} s per target (build-fuzz/)"
  install_missing_packages clang libclang-rt-14-dev
  local status=0 targets
  targets=${CASCADE_FUZZ_TARGETS:-fuzz_scenario fuzz_positions_csv fuzz_population}
  CASCADE_FUZZ_TARGETS=$targets CASCADE_FUZZ_PARALLEL=$(wc -w <<<"$targets") \
    ./scripts/fuzz.sh "$fuzz_seconds" || status=$?
  local target
  for target in $targets; do
    if [ -f "build-fuzz/summary-$target" ]; then
      sed -E 's/ +cov: .* corp: [0-9]+ +/  /; s/  +$//' "build-fuzz/summary-$target" >>"$notes"
    fi
  done
  return "$status"
}

# ---------------------------------------------------------------------------
# AddressSanitizer + UndefinedBehaviorSanitizer: the whole suite (doctest and
# Python tests, whose cascade is this build's, instrumented) at -O1 with
# assertions, libstdc++'s bounds checks and TBB's debug checks on.
stage_asan() {
  header "ASan + UBSan: whole suite (build-asan/)"
  local build=build-asan logs=$root/build-asan/sanitizer-logs
  mkdir -p "$build"
  unity_build "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
    -DCMAKE_CXX_FLAGS="-D_GLIBCXX_ASSERTIONS" -DCASCADE_SANITIZE=address,undefined \
    -DCASCADE_BUILD_TESTS=ON -DCASCADE_BUILD_BENCH=OFF
  step_done build
  rm -rf "$logs" && mkdir -p "$logs"
  # ASan and LeakSanitizer reports go to files (one per process), so those of
  # executables the tests launch, whose output the tests capture, are seen too.
  # UBSan (GCC's, beside ASan) ignores log_path and writes to stderr. Every
  # report also ends its process with exit code 86, which no test expects.
  export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:exitcode=86:log_path=$logs/report"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86"
  seed_test_costs "$build"
  local status=0
  ctest --test-dir "$build" --output-on-failure -j"$jobs" || status=1
  step_done tests
  check_sanitizer_logs "$logs" || status=1
  return "$status"
}

# ---------------------------------------------------------------------------
# ThreadSanitizer needs every library that synchronises threads instrumented:
# Debian's libtbb is not, so TSan cannot see a task's hand-off from one thread
# to another and reports thousands of false races, in TBB and in the code its
# tasks run. So build oneTBB from Debian's source package (the version
# installed), with TBB's own TSan option, once; later runs reuse it.
tsan_tbb_dir=""
tsan_tbb_fail() {
  echo "tsan: $1" >&2
  echo "tsan: ThreadSanitizer needs a ThreadSanitizer build of oneTBB; this stage makes one from" \
    "Debian's source package, fetched with apt-get source from deb.debian.org (or the mirror in" \
    "CASCADE_TSAN_DEBIAN_MIRROR). Without network access, build oneTBB with" \
    "-DTBB_SANITIZE=thread yourself and set CASCADE_TSAN_TBB_DIR=<dir with TBBConfig.cmake>." >&2
  echo "no ThreadSanitizer build of oneTBB: $1" >>"$notes"
  return 1
}
tsan_tbb() {
  if [ -n "${CASCADE_TSAN_TBB_DIR:-}" ]; then
    if [ ! -f "$CASCADE_TSAN_TBB_DIR/TBBConfig.cmake" ]; then
      tsan_tbb_fail "CASCADE_TSAN_TBB_DIR=$CASCADE_TSAN_TBB_DIR holds no TBBConfig.cmake"
      return 1
    fi
    tsan_tbb_dir=$CASCADE_TSAN_TBB_DIR
    return
  fi
  local dir=$root/build-tsan/onetbb
  local package version codename
  package=$(dpkg-query -W -f='${source:Package}' libtbb-dev)
  version=$(dpkg-query -W -f='${source:Version}' libtbb-dev)
  tsan_tbb_dir=$dir/install/lib/cmake/TBB
  if [ -f "$dir/install/stamp" ] && [ "$(cat "$dir/install/stamp")" = "$package $version" ]; then
    echo "oneTBB built with ThreadSanitizer: $dir/install ($package $version)"
    return
  fi
  echo "building oneTBB $version with ThreadSanitizer (once) into $dir/install"
  rm -rf "$dir" && mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/src"
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || { tsan_tbb_fail "cannot tell the Debian release from /etc/os-release"; return 1; }
  # A private source list and apt state: the system's apt configuration (its
  # proxy settings included) is used, its source lists and state are untouched.
  local mirror=${CASCADE_TSAN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || { tsan_tbb_fail "no $keyring (package debian-archive-keyring)"; return 1; }
  cat >"$dir/apt/sources.list" <<EOF
deb-src [signed-by=$keyring] $mirror $codename main
deb-src [signed-by=$keyring] $mirror $codename-updates main
deb-src [signed-by=$keyring] ${mirror%/debian}/debian-security $codename-security main
EOF
  local apt=(apt-get -q -o Dir::Etc::SourceList="$dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$dir/apt/lists" -o Dir::Cache="$dir/apt/cache"
    -o Acquire::Retries=3 -o Acquire::http::Timeout=30)
  if [ "$(id -u)" -eq 0 ]; then apt+=(-o APT::Sandbox::User=root); fi
  if ! command -v dpkg-source >/dev/null; then
    tsan_tbb_fail "apt-get source needs dpkg-source (package dpkg-dev, part of build-essential)"
    return 1
  fi
  if ! "${apt[@]}" update >"$dir/apt/update.log" 2>&1 ||
    grep -qE '^(W|E): (Failed to fetch|Some index files failed)' "$dir/apt/update.log"; then
    cat "$dir/apt/update.log" >&2
    tsan_tbb_fail "cannot fetch the source index from $mirror"
    return 1
  fi
  # The installed version, so the headers match; the archive's if it is gone.
  if ! (cd "$dir/src" && { "${apt[@]}" source "$package=$version" ||
    { echo "($package $version is gone from the archive: taking its current version)" &&
      "${apt[@]}" source "$package"; }; }) >"$dir/apt/source.log" 2>&1; then
    cat "$dir/apt/source.log" >&2
    tsan_tbb_fail "apt-get source $package failed"
    return 1
  fi
  local src
  src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  if [ -z "$src" ] || [ ! -f "$src/CMakeLists.txt" ]; then
    cat "$dir/apt/source.log" >&2
    tsan_tbb_fail "apt-get source $package unpacked no source tree"
    return 1
  fi
  if ! cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_STRICT=OFF \
    -DTBBMALLOC_BUILD=OFF -DTBB_ENABLE_IPO=OFF -DCMAKE_INSTALL_PREFIX="$dir/install" \
    -DCMAKE_INSTALL_LIBDIR=lib >"$dir/configure.log" 2>&1 ||
    ! cmake --build "$dir/build" -j"$jobs" >"$dir/build.log" 2>&1 ||
    ! cmake --install "$dir/build" >"$dir/install.log" 2>&1; then
    tail -n 50 "$dir"/configure.log "$dir"/build.log 2>/dev/null >&2 || true
    tsan_tbb_fail "building oneTBB $version with ThreadSanitizer failed (logs in $dir/)"
    return 1
  fi
  echo "$package $version" >"$dir/install/stamp"
}

# One doctest case is left out under TSan: "run --resume finishes a run
# stopped by SIGINT" runs 100000 paths of calm.json, twice, which takes two and
# a half minutes under TSan, as long as all the other cases together; the
# stage's own stopped-and-resumed `cascade run` covers a multi-threaded stop
# and resume under TSan, and the other resume cases run.
tsan_skip_tests='^run --resume finishes a run stopped by SIGINT, identical to an uninterrupted run$'

# ThreadSanitizer: cascade run on every shipped scenario with 2 and 4 threads
# (one of them on a terminal, to draw the progress bar; one stopped by SIGINT
# and resumed), and the doctest cases, many of which run simulations on several
# threads in-process or launch cascade.
stage_tsan() {
  header "TSan: multi-threaded runs (build-tsan/)"
  mkdir -p build-tsan
  tsan_tbb
  step_done "oneTBB"
  local build=build-tsan logs=$root/build-tsan/sanitizer-logs out=$root/build-tsan/runs
  unity_build "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DCASCADE_SANITIZE=thread -DCASCADE_BUILD_TESTS=ON -DCASCADE_BUILD_BENCH=OFF -DTBB_DIR="$tsan_tbb_dir"
  step_done build
  rm -rf "$logs" "$out" && mkdir -p "$logs" "$out"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$logs/report"
  if [ -f tests/tsan.supp ]; then TSAN_OPTIONS+=":suppressions=$root/tests/tsan.supp"; fi
  local status=0 scenario threads name
  for scenario in scenarios/*.json; do
    name=$(basename "$scenario" .json)
    [ "$name" = schema ] && continue
    for threads in 2 4; do
      echo "cascade run $scenario --paths 256 --threads $threads"
      "$build/cascade" run "$scenario" -o "$out/$name-$threads.h5" --paths 256 --threads "$threads" ||
        { echo "FAILED: cascade run $scenario --threads $threads" >&2; status=1; }
    done
  done
  echo "cascade run scenarios/flash-crash.json --paths 512 --threads 2, on a terminal"
  script -qefc "'$build/cascade' run scenarios/flash-crash.json -o '$out/terminal.h5' --paths 512 --threads 2" \
    /dev/null </dev/null || { echo "FAILED: cascade run on a terminal" >&2; status=1; }
  echo "cascade run scenarios/flash-crash.json --paths 2048 --threads 4, stopped by SIGINT after 2 s," \
    "then --resume --threads 2"
  local pid rc=0
  "$build/cascade" run scenarios/flash-crash.json -o "$out/stopped.h5" --paths 2048 --threads 4 -q &
  pid=$!
  sleep 2
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  if [ "$rc" -eq 130 ]; then
    "$build/cascade" run --resume "$out/stopped.h5" --threads 2 -q ||
      { echo "FAILED: cascade run --resume" >&2; status=1; }
  elif [ "$rc" -eq 0 ]; then
    echo "(the run finished before the signal: nothing to resume)"
  else
    echo "FAILED: the stopped cascade run exited with $rc, not 130" >&2
    status=1
  fi
  step_done "cascade runs"
  # The doctest cases; the Python tests only repeat these runs, slower.
  seed_test_costs "$build"
  ctest --test-dir "$build" --output-on-failure -j"$jobs" -E "^python\\.|$tsan_skip_tests" || status=1
  step_done "doctest cases"
  check_sanitizer_logs "$logs" || status=1
  return "$status"
}

run_stage "default suite" stage_default
for stage in "${stages[@]}"; do
  case $stage in
    tidy) run_stage "clang-tidy (build-tidy)" stage_tidy ;;
    fuzz) run_stage "fuzz (build-fuzz)" stage_fuzz ;;
    asan) run_stage "asan+ubsan (build-asan)" stage_asan ;;
    tsan) run_stage "tsan (build-tsan)" stage_tsan ;;
  esac
done

header "summary"
printf '%s\n' "${summary[@]}"
if ((${#stages[@]} == 0)); then
  echo "(check stages skipped: ./scripts/test.sh --all runs them, as CI does)"
fi
exit $failed
