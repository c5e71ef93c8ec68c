#!/usr/bin/env bash
# Make this machine able to run symbridge and its tests (Debian, as root or with sudo):
#   - installs missing system packages (llvm-symbolizer, redis-server, binutils) from apt;
#   - starts a local Redis on loopback when none answers at REDIS_URL;
#   - installs npm dependencies (npm ci) and builds dist/.
#   --test: also what the test suite needs (Debian's chromium for the Swagger UI browser test;
#           debuginfod-find and gdb, the real clients of the store's debuginfod API). The S3
#           endpoint the S3-backend tests start (s3rver) is an npm devDependency: `npm ci` installs
#           it; the Sentinel tests run redis-server in sentinel mode (the redis-server package).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1

REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

need_pkgs=()
command -v llvm-symbolizer >/dev/null 2>&1 || need_pkgs+=(llvm)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_pkgs+=(redis-tools)
command -v readelf >/dev/null 2>&1 || need_pkgs+=(binutils)
if [ "$for_tests" = 1 ]; then
  [ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
  # The real debuginfod clients the symbol-store tests drive.
  command -v debuginfod-find >/dev/null 2>&1 || need_pkgs+=(debuginfod)
  command -v gdb >/dev/null 2>&1 || need_pkgs+=(gdb)
  # The core_dump tests compress fixture cores the ways a user would send them.
  command -v zstd >/dev/null 2>&1 || need_pkgs+=(zstd)
  command -v xz >/dev/null 2>&1 || need_pkgs+=(xz-utils)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]} from apt"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed (found: $(node -v 2>/dev/null || echo none))" >&2
  exit 1
fi

# Redis: use the one at REDIS_URL; start a local one only when nothing answers there.
# Sentinel and Cluster URLs name deployments someone else runs: nothing to start here.
case "$REDIS_URL" in *+sentinel://*|*+cluster://*) redis_managed=1 ;; *) redis_managed=0 ;; esac
if [ "$redis_managed" = 0 ] && ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  hostport="${REDIS_URL#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
  host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$hostport" ] && port=6379
  case "$host" in
    127.0.0.1|localhost|::1|'[::1]') ;;
    *) echo "setup: no Redis answers at $REDIS_URL, and it is not on this machine: start it there" >&2; exit 1 ;;
  esac
  dir="${SYMBRIDGE_REDIS_DIR:-/var/lib/symbridge-redis}"
  mkdir -p "$dir"
  echo "setup: starting redis-server on 127.0.0.1:$port (AOF in $dir)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$dir" \
    --appendonly yes --appendfsync always --save "" --logfile "$dir/redis.log"
  for _ in $(seq 1 50); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -u "$REDIS_URL" ping >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run -s build
echo "setup: ready (redis at $REDIS_URL, llvm-symbolizer $(llvm-symbolizer --version | sed -n 's/.*LLVM version //p' | head -1))"
