#!/usr/bin/env bash
# Fault injection for the symbolizer pool: a real llvm-symbolizer behind a filter that
# misbehaves for queries naming a trigger file. FAULT=hang|garbage|crash.
#   hang:    never answers a query whose path contains "faulty-"
#   garbage: answers such a query with a line that is not JSON
#   crash:   exits (as if llvm-symbolizer segfaulted) on such a query
coproc REAL { llvm-symbolizer "$@"; }
while IFS= read -r line; do
  if [[ "$line" == *faulty-* ]]; then
    case "${FAULT:-hang}" in
      hang) sleep 3600 ;;
      garbage) echo "LLVM ERROR: this is not JSON"; continue ;;
      crash) kill -SEGV $$ ;;
    esac
  fi
  printf '%s\n' "$line" >&"${REAL[1]}"
  IFS= read -r answer <&"${REAL[0]}"
  printf '%s\n' "$answer"
done
