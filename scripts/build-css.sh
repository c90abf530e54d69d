#!/usr/bin/env bash
# Builds assets/dist/app.css from assets/css/input.css with the Tailwind CLI.
#
# The CSS is built once and committed: run this after changing templates
# (crates/web/templates/**) or assets/js/, then commit assets/dist/app.css.
# The server embeds the committed file, so cargo and the server never need Node.
#
#   scripts/build-css.sh          rebuild assets/dist/app.css
#   scripts/build-css.sh --check  build to a temp file; exit 1 if the committed
#                                 assets/dist/app.css is out of date
#
# Needs node and npm. Versions are pinned in tools/css/package-lock.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# --ignore-scripts: only @parcel/watcher has an install script (a node-gyp
# build), and it is used by --watch alone, which this script does not use.
npm ci --prefix tools/css --silent --no-audit --no-fund --ignore-scripts

# input.css says `@import "tailwindcss"`, which Tailwind resolves from the
# input file's folder; NODE_PATH points it at tools/css/node_modules.
export NODE_PATH="$PWD/tools/css/node_modules"
tailwind=tools/css/node_modules/.bin/tailwindcss
input=assets/css/input.css
output=assets/dist/app.css

if [[ $check -eq 0 ]]; then
  mkdir -p "$(dirname "$output")"
  "$tailwind" -i "$input" -o "$output" --minify --silent
  echo "built $output"
  exit 0
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$tailwind" -i "$input" -o "$tmp" --minify --silent
if [[ ! -f $output ]] || ! cmp -s "$tmp" "$output"; then
  echo "$output is out of date: run scripts/build-css.sh and commit the result" >&2
  exit 1
fi
echo "$output is up to date"
