#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after the other, and fails
# if any of them crashed. See docs/FUZZING.md.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      default: 20 seconds, every target
#
# FUZZ_SANITIZER=address builds with AddressSanitizer (slower; the code is safe Rust, so the
# default is none). FUZZ_JOBS=N runs N fuzzing processes per target.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "error: cargo-fuzz is missing; install it with: cargo install --locked cargo-fuzz" >&2
  exit 1
fi

# cargo-fuzz passes flags that only nightly compilers accept; this lets a stable one take them.
export RUSTC_BOOTSTRAP=1
# Instrumented builds share nothing with ordinary ones, so they stay in fuzz/target.
unset CARGO_TARGET_DIR
# The targets never serve the browser UI, so its npm build is not needed for them.
export VBX_SKIP_WEB_BUILD=1

# Overflow checks and debug assertions on: an overflow is a crash here, as in the tests.
build_flags=(--sanitizer "${FUZZ_SANITIZER:-none}" --debug-assertions)

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

echo "== building the fuzz targets"
cargo fuzz build "${build_flags[@]}"
# The binaries are run directly: `cargo fuzz run` would ask cargo again for every target, and
# vbx's build script makes cargo rebuild vbx whenever web/dist/ has not been built.
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir="target/$host/release"

# The old program's example flow file beside the repository, when there (only read).
shared_legacy=""
for dir in "${VBX_SHARED_DIR:-}" ../../shared; do
  if [ -n "$dir" ] && [ -d "$dir/legacy" ]; then
    shared_legacy="$dir/legacy"
    break
  fi
done

mkdir -p logs
failed=()
for target in "${targets[@]}"; do
  # New inputs go to corpus/ (ignored by git); seeds/ holds the small committed starting set.
  corpora=("corpus/$target")
  mkdir -p "corpus/$target"
  if [ -d "seeds/$target" ]; then corpora+=("seeds/$target"); fi
  case "$target" in
    twiml_*) dict=dicts/twiml.dict ;;
    config_load | legacy_convert)
      dict=dicts/config.dict
      if [ -n "$shared_legacy" ]; then corpora+=("$shared_legacy"); fi
      ;;
    *) dict="dicts/$target.dict" ;;
  esac
  options=(
    "-max_total_time=$seconds"
    # One input taking this long is a hang and counts as a crash.
    -timeout=10
    -rss_limit_mb=2048
    -print_final_stats=1
  )
  if [ -f "$dict" ]; then options+=("-dict=$dict"); fi
  if [ -n "${FUZZ_JOBS:-}" ]; then options+=("-fork=$FUZZ_JOBS"); fi

  mkdir -p "artifacts/$target"
  options+=("-artifact_prefix=artifacts/$target/")

  log="logs/$target.log"
  printf '== %s: %s s ... ' "$target" "$seconds"
  if "$bin_dir/$target" "${options[@]}" "${corpora[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    echo "ok (${runs:-?} runs, ${cov:-cov: ?}, corpus $(find "corpus/$target" -type f | wc -l) files)"
  else
    echo "FAILED"
    tail -n 60 "$log" >&2
    failed+=("$target")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "error: crashes in: ${failed[*]} (inputs in fuzz/artifacts/, logs in fuzz/logs/)" >&2
  exit 1
fi
echo "== no crashes"
