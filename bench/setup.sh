#!/usr/bin/env bash
# What `npm run bench` needs beyond scripts/setup.sh (bench only, never the tests):
#   - from apt: openjdk-17-dbg (libjvm.so's DWARF, ~250 MB), binutils (addr2line),
#     binutils-x86-64-linux-gnu-dbg and libstdc++6-12-dbg (more large DWARF modules);
#   - bench/.work/go-compile: Go's cmd/compile built with DWARF (a large real Go binary).
# Without apt (or Go) the sections that need them say so and are skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
mkdir -p bench/.work

pkgs=()
dpkg -s openjdk-17-dbg >/dev/null 2>&1 || pkgs+=(openjdk-17-dbg)
command -v addr2line >/dev/null 2>&1 || pkgs+=(binutils)
dpkg -s binutils-x86-64-linux-gnu-dbg >/dev/null 2>&1 || pkgs+=(binutils-x86-64-linux-gnu-dbg)
dpkg -s libstdc++6-12-dbg >/dev/null 2>&1 || pkgs+=(libstdc++6-12-dbg)
if [ ${#pkgs[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || command -v sudo >/dev/null 2>&1; }; then
    echo "bench setup: installing ${pkgs[*]} from apt (openjdk-17-dbg is ~250 MB)"
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null \
      || echo "bench setup: apt-get install ${pkgs[*]} failed: the resolve and memory sections will use what is there" >&2
  else
    echo "bench setup: apt is not available: skipping ${pkgs[*]} (resolve/memory sections use what is there)" >&2
  fi
fi

if [ ! -x bench/.work/go-compile ]; then
  if command -v go >/dev/null 2>&1; then
    echo "bench setup: building Go's cmd/compile with DWARF into bench/.work/go-compile (a few minutes, once)"
    go build -trimpath -o bench/.work/go-compile cmd/compile \
      || echo "bench setup: go build failed: the Go rows are skipped" >&2
  else
    echo "bench setup: no Go toolchain: the Go binary rows are skipped" >&2
  fi
fi

npm run -s build   # the bench spawns dist/main.js: never a stale one
npx tsc -p bench/tsconfig.json
