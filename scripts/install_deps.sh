#!/usr/bin/env bash
# Installs everything herald needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are skipped by apt. Run as root (or with sudo).
# With --bench, also installs what the benchmarks under bench/ drive (wrk; postfix for
# smtp-sink and smtp-source, unconfigured and not started; nginx, the static-file ceiling of
# bench/run_track_bench.sh, which runs its own instance: the system service is never started).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries (found by CMake)
  librocksdb-dev libyaml-cpp-dev libspdlog-dev libfmt-dev doctest-dev
  libcurl4-openssl-dev libcpp-httplib-dev nlohmann-json3-dev libssl-dev
  libicu-dev libcmark-dev libkainjow-mustache-dev libphonenumber-dev
  # tools used by tests and benchmarks; chromium: the dashboard's browser test
  # (tests/report/dashboard_browser_test.cc), which fails without it
  curl python3 python3-aiosmtpd tzdata chromium
  # fuzzing (scripts/fuzz.sh): clang with ASan/UBSan, and libFuzzer (libclang_rt.fuzzer)
  clang libclang-rt-14-dev
)
if [[ "${1:-}" == "--bench" ]]; then
  # postfix: only for its smtp-sink and smtp-source (bench/run_messages_bench.sh). Preseeded
  # "No configuration", so the install asks nothing and sets up no mail system; the
  # service is never started.
  PACKAGES+=(wrk postfix nginx)
  if ! dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q "install ok installed"; then
    PRESEED_SUDO=""
    if [ "$(id -u)" -ne 0 ]; then PRESEED_SUDO="sudo"; fi
    echo "postfix postfix/main_mailer_type select No configuration" |
      $PRESEED_SUDO debconf-set-selections
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # nginx's package starts the system service on install; the benchmark runs its own
  # instance, so forbid service starts (invoke-rc.d's policy) while installing, unless a
  # policy is already in place (Docker images ship one that forbids everything).
  if [[ " ${missing[*]} " == *" nginx "* && ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
