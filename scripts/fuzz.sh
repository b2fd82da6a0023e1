#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (AddressSanitizer + libFuzzer) and runs each for a fixed time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     (default: 60 s, every target)
#
# Each target first replays its saved findings (Fuzz/Regressions/<target>/), then fuzzes starting from
# its seed corpus (Fuzz/Corpus/<target>/, never written to) and a working corpus kept in
# Fuzz/.build/corpus/<target>/ (git-ignored, grows from run to run). A crash, a trap, a leak, an input
# slower than TIMEOUT_SECONDS or memory above RSS_LIMIT_MB is a finding: libFuzzer saves the input in
# Fuzz/.build/findings/<target>/ and this script exits non-zero (not in .build/artifacts, SwiftPM's
# directory for binary artifacts: a build of the package deleted it, findings included). One target at
# a time, one process, at low priority (nice), so it shares the machine. The first sanitizer build takes several minutes;
# the scratch path stays the same so later runs are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all_targets=(FuzzAMI FuzzSIP FuzzSDP FuzzDialplan FuzzDialplanRun FuzzProvisioning)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# A single input may take this long before it counts as a hang (debug build with ASan: ~10x slower
# than release; the slowest seed runs in milliseconds).
TIMEOUT_SECONDS=${FUZZ_TIMEOUT_SECONDS:-10}
# Memory ceiling of the fuzzing process (ASan's shadow memory and quarantine included).
RSS_LIMIT_MB=${FUZZ_RSS_LIMIT_MB:-2048}
# Largest input libFuzzer generates, per target: above every limit the code under test enforces, so
# the limit checks themselves are exercised, and no larger (a longer input is a slower execution).
# FUZZ_MAX_LEN overrides it for every target.
max_len() {
    case "$1" in
        FuzzSIP) echo 66000 ;;          # SIPLimits.maximumMessageSize 65,535 (header lines: 8,192)
        FuzzAMI) echo 4096 ;;           # AMILimits.maximumLineLength 1,024; 128 headers fit in ~400 bytes
        FuzzDialplanRun) echo 8192 ;;   # Dialplan.maximumIncludeDepth 128 takes ~3 KiB of includes
        *) echo 4096 ;;                 # SDP, expressions (nesting 256, regex 256 bytes), YAML: no larger limit
    esac
}
# Scheduling priority of builds and fuzzing (the machine is shared).
NICE=${FUZZ_NICE:-10}

# AddressSanitizer records a stack trace at every malloc and free, for its reports; Swift code
# allocates often, and unwinding and storing those stacks took 10% (dialplan text) to 17% (YAML) of the
# fuzzing time (perf). While fuzzing only two frames are kept (malloc_context_size=2, taken without
# unwinding): every memory error, leak and trap is still detected and its input saved, the report
# names only the allocating function. Not 0: LeakSanitizer ignores a leak whose allocation has no
# caller address, so leaks went unreported (checked with a leaking libFuzzer target). Each new finding
# is then run again alone with full stacks (FUZZ_REPORT_ASAN_OPTIONS), that report kept next to the
# input as <input>.report.txt; Fuzz/Regressions is replayed with full stacks too.
# FUZZ_ASAN_OPTIONS overrides the fuzzing setting.
FUZZING_ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-malloc_context_size=2}
REPORT_ASAN_OPTIONS=${FUZZ_REPORT_ASAN_OPTIONS:-malloc_context_size=30}

# release: about 4x the executions per second of debug under ASan; Swift keeps its overflow, bounds
# and precondition traps with -O (the modules under test use no assert()).
CONFIGURATION=${FUZZ_CONFIGURATION:-release}

# FUZZ_KEEP_GOING=1: fork mode (one child at a time) that saves each finding and carries on, to look
# past a known crash; the run still fails if anything was found.
keep_going=()
[ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)

scratch=Fuzz/.build
build_flags=(-c "$CONFIGURATION" --package-path Fuzz --scratch-path "$scratch"
             -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

# SwiftPM keeps a build plan of the whole graph (description.json) and does not always notice that the
# root package, a path dependency here, gained a target: the build then fails with "no such module".
# Planning again costs a few seconds; a stale plan costs a failed run.
rm -f "$scratch"/*/"$CONFIGURATION"/description.json
for target in "${targets[@]}"; do
    echo "=== building $target (sanitizers: fuzzer, address)"
    mkdir -p "$scratch"
    if ! nice -n "$NICE" swift build "${build_flags[@]}" --product "$target" >"$scratch/build-$target.log" 2>&1; then
        grep -v "Cannot export local symbol" "$scratch/build-$target.log" | tail -40 >&2
        echo "build of $target failed" >&2
        exit 1
    fi
done
bin_dir=$(swift build "${build_flags[@]}" --show-bin-path)

# The inputs in a findings directory (none if it is gone), so that the run is always recorded below.
list_findings() {
    { find "$1" -type f ! -name '*.report.txt' 2>/dev/null || true; } | sort
}

failures=0
summary=()
for target in "${targets[@]}"; do
    binary="$bin_dir/$target"
    work="$scratch/corpus/$target"
    artifacts="$scratch/findings/$target"
    log="$scratch/fuzz-$target.log"
    mkdir -p "$work" "$artifacts"
    common=(-rss_limit_mb="$RSS_LIMIT_MB" -timeout="$TIMEOUT_SECONDS" -artifact_prefix="$artifacts/")

    regressions=(Fuzz/Regressions/"$target"/*)
    if [ -e "${regressions[0]}" ]; then
        echo "=== $target: replaying ${#regressions[@]} saved finding(s)"
        if ! ASAN_OPTIONS="$REPORT_ASAN_OPTIONS" nice -n "$NICE" "$binary" "${common[@]}" "${regressions[@]}" >"$log.regressions" 2>&1; then
            echo "$target: a saved finding fails again, see $log.regressions" >&2
            tail -30 "$log.regressions" >&2
            failures=$((failures + 1))
            summary+=("$target: REGRESSION (saved finding fails)")
            [ ${#keep_going[@]} -gt 0 ] || continue
        fi
    fi

    dict=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="Fuzz/Dictionaries/$target.dict")
    echo "=== $target: fuzzing for ${seconds}s"
    before=$(list_findings "$artifacts")
    status=0
    ASAN_OPTIONS="$FUZZING_ASAN_OPTIONS" nice -n "$NICE" "$binary" "$work" "Fuzz/Corpus/$target" "${dict[@]}" "${common[@]}" "${keep_going[@]}" \
        -max_total_time="$seconds" -max_len="${FUZZ_MAX_LEN:-$(max_len "$target")}" -print_final_stats=1 >"$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ ${#keep_going[@]} -gt 0 ]; then   # fork mode: "#N: cov: ... exec/s: R oom/timeout/crash: a/b/c ..."
        last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
        executions=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
        rate=$(sed -E 's/.*exec\/s: ([0-9]+).*/\1/' <<<"$last")
    fi
    new_findings=$(comm -13 <(printf '%s\n' "$before") <(list_findings "$artifacts") | sed '/^$/d')
    found=$(printf '%s' "$new_findings" | grep -c . || true)
    # Each new finding once more, alone, with AddressSanitizer's full allocation stacks.
    while IFS= read -r input; do
        [ -n "$input" ] || continue
        mkdir -p "$scratch/rerun"
        ASAN_OPTIONS="$REPORT_ASAN_OPTIONS" nice -n "$NICE" "$binary" -rss_limit_mb="$RSS_LIMIT_MB" \
            -timeout="$TIMEOUT_SECONDS" -artifact_prefix="$scratch/rerun/" "$input" >"$input.report.txt" 2>&1 || true
    done <<<"$new_findings"
    # One line per run (UTC time, target, seconds, executions, rate, exit status, findings), to add
    # up the executions of several runs.
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$seconds" "${executions:-?}" \
        "${rate:-?}" "$status" "$found" >>"$scratch/fuzz-history.tsv"
    if [ "$status" -ne 0 ] || [ "$found" -gt 0 ]; then
        failures=$((failures + 1))
        summary+=("$target: ${executions:-?} executions (${rate:-?}/s), FINDING (exit $status), inputs in $artifacts/")
        grep -E "ERROR: |SUMMARY: |Fatal error|Test unit written" "$log" | head -10 >&2 || true
        echo "    full log: $log; reports with allocation stacks: $artifacts/*.report.txt" >&2
    else
        summary+=("$target: ${executions:-?} executions in ${seconds}s (${rate:-?}/s), 0 crashes")
    fi
done

echo
echo "=== fuzzing summary"
printf '%s\n' "${summary[@]}"
if [ "$failures" -gt 0 ]; then
    echo "$failures target(s) found a crash, a hang or a leak" >&2
    exit 1
fi
