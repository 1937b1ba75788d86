#!/usr/bin/env bash
# Fuzzes Firebreak's parsers with cargo-fuzz (libFuzzer), one target after
# the other, each for a bounded time, and prints what each did.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; with no target named, all of them run.
# Seeds: the intake samples and test fixtures of the repository, small
# inputs of our own (fuzz/corpus/*/seed-*), and the SigmaHQ rules and
# regression samples, read in place from FIREBREAK_SIGMA_DIR (default:
# shared/sigma beside the project's folder) when they are there.
# What libFuzzer adds goes to fuzz/corpus/<target>/ (git-ignored) and is
# kept for the next run; crashing, slow and greedy inputs go to
# fuzz/artifacts/<target>/. Exits non-zero when any target found one.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
shift $(($# > 0 ? 1 : 0))
sigma="${FIREBREAK_SIGMA_DIR:-$root/../shared/sigma}"

all=(native_alert intake_ecs intake_ocsf intake_wazuh intake_suricata observable_extract observable_normalise
  sigma_rule hunt_evtx hunt_json asset_csv)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# The largest input worth trying, per target: about the size of what the
# parser meets in use (an EVTX file needs its 4 KiB header and 64 KiB
# chunks, two of which fit).
max_len() {
  case "$1" in
    hunt_evtx) echo 140000 ;;
    native_alert | intake_* | hunt_json) echo 65536 ;;
    sigma_rule) echo 32768 ;;
    observable_normalise) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed; installing it (cargo install cargo-fuzz --locked, a few minutes)..." >&2
  cargo install cargo-fuzz --locked
fi

# cargo-fuzz passes compiler flags only nightly accepts; RUSTC_BOOTSTRAP lets
# a stable toolchain take them. No sanitizer: the code forbids unsafe, and
# libFuzzer finds panics, timeouts and memory blow-ups without one.
export RUSTC_BOOTSTRAP=1
fuzz=(cargo fuzz)
opts=(--sanitizer none)

echo "building the fuzz targets..." >&2
if [ $# -eq 0 ]; then
  (cd "$root" && "${fuzz[@]}" build "${opts[@]}") >&2
else
  for t in "${targets[@]}"; do (cd "$root" && "${fuzz[@]}" build "${opts[@]}" "$t") >&2; done
fi

seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT

# Seeds of a target in a folder of their own: copies of the repository's
# small samples (each NDJSON line also alone), links to the SigmaHQ files.
seed_lines() { # file prefix dir
  cp "$1" "$3/$2-whole"
  local n=0
  while IFS= read -r line; do
    n=$((n + 1))
    [ -n "$line" ] && printf '%s\n' "$line" >"$3/$2-$n"
  done <"$1"
}
link_sigma() { # find-expression... into $dir
  local dir="$1"
  shift
  [ -d "$sigma/rules" ] || return 0
  find "$sigma" "$@" -type f -print0 | while IFS= read -r -d '' f; do
    ln -sf "$f" "$dir/$(printf '%s' "$f" | cksum | cut -d' ' -f1)-$(basename "$f")"
  done
}
make_seeds() {
  local t="$1" dir="$seeds/$1" intake="$root/crates/firebreak-domain/tests/fixtures/intake"
  mkdir -p "$dir"
  case "$t" in
    intake_ecs) seed_lines "$intake/ecs.ndjson" ecs "$dir" ;;
    intake_ocsf) seed_lines "$intake/ocsf.ndjson" ocsf "$dir" ;;
    intake_wazuh) seed_lines "$intake/wazuh-alerts.json" wazuh "$dir" ;;
    intake_suricata) seed_lines "$intake/suricata-eve.json" suricata "$dir" ;;
    native_alert | observable_extract)
      for f in "$intake"/*; do seed_lines "$f" "$(basename "$f")" "$dir"; done ;;
    observable_normalise)
      # The first byte picks the observable's type: every type with each value.
      local i=0 v
      while [ $i -lt 16 ]; do
        for v in 10.0.0.1 '[::1]' 'hxxps://Evil[.]example/a?b=c' 'bob(at)Example[.]org' \
          d41d8cd98f00b204e9800998ecf8427e 'HKLM\Software\Run' 'C:\Windows\x.exe' 'CORP\alice' host-01; do
          printf "\\x$(printf %02x $i)%s" "$v" >"$dir/$i-$(printf '%s' "$v" | cksum | cut -d' ' -f1)"
        done
        i=$((i + 1))
      done ;;
    sigma_rule)
      cp "$root"/crates/firebreak-detect/tests/fixtures/*.yml "$dir/"
      [ -d "$sigma/rules" ] && link_sigma "$dir" -path "$sigma/regression_data" -prune -o -name '*.yml' ;;
    hunt_evtx) link_sigma "$dir" -name '*.evtx' ;;
    hunt_json)
      for f in "$intake"/*; do seed_lines "$f" "$(basename "$f")" "$dir"; done
      link_sigma "$dir" -path "$sigma/regression_data/*" -name '*.json' ;;
  esac
}

[ -d "$sigma/rules" ] || echo "SigmaHQ data not found at $sigma: its rules and samples are not used as seeds" >&2

results=()
failed=0
for t in "${targets[@]}"; do
  make_seeds "$t"
  corpus="$root/fuzz/corpus/$t"
  artifacts="$root/fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  # What fails goes to fuzz/artifacts/<target>/ (cargo-fuzz's default), the run's log beside it.
  before=$(find "$artifacts" -type f | wc -l)
  log="$root/fuzz/artifacts/$t.log"
  echo "fuzzing $t for ${seconds}s..." >&2
  start=$(date +%s)
  # One process a target (no -fork/-jobs): the machine's other work keeps
  # its cores. -timeout finds inputs slow to refuse, -rss_limit_mb greedy ones.
  (cd "$root" && "${fuzz[@]}" run "${opts[@]}" "$t" "$corpus" "$seeds/$t" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1 || true
  took=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ -z "$execs" ]; then
    # A crash ends the run before the final statistics: take the last status line.
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
  fi
  after=$(find "$artifacts" -type f | wc -l)
  crashes=$((after - before))
  [ "$crashes" -eq 0 ] || {
    failed=1
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | head -n 3 >&2 || true
  }
  results+=("$(printf '%-22s %12s %8s %8s %8s' "$t" "${execs:-?}" "$took" "$(find "$corpus" -type f | wc -l)" "$crashes")")
done

printf '%-22s %12s %8s %8s %8s\n' target executions seconds corpus crashes
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ] || echo "inputs that failed are in fuzz/artifacts/<target>/, each run's log in fuzz/artifacts/<target>.log" >&2
exit "$failed"
