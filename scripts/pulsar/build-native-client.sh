#!/usr/bin/env bash
# Builds the native addon of the installed `pulsar-client` package from source, so that
# `require('pulsar-client')` loads on a machine that cannot download its prebuilt binary.
#
#   1. the Debian packages the build needs (installed when missing and we are root),
#   2. the Apache Pulsar C++ client from vendor/pulsar-client-cpp-*.tar.gz (SHA256 checked),
#      into .cache/pulsar-cpp/<version>/ (minutes, once),
#   3. the addon from the sources the npm package ships, linked against that client
#      (seconds; cached in .cache/pulsar-cpp/addon/ across `npm ci`),
#   4. a check that the addon loads and makes a client.
#
# Idempotent: a second run reuses both caches and takes seconds. Users whose
# `npm install pulsar-client` downloads the prebuilt addon never need this script.
# Settings: PULSAR_CPP_JOBS (make -j, default the number of cores), PULSAR_NATIVE_FORCE=1
# (rebuild the addon even when one loads).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

cpp_version=4.2.0
tarball="vendor/pulsar-client-cpp-$cpp_version.tar.gz"
cache="$root/.cache/pulsar-cpp"
cpp_dir="$cache/$cpp_version"
package_dir="$root/node_modules/pulsar-client"
jobs="${PULSAR_CPP_JOBS:-$(nproc)}"
debian_packages=(g++ make cmake python3 libssl-dev libcurl4-openssl-dev libprotobuf-dev
  protobuf-compiler libboost-dev zlib1g-dev libzstd-dev libsnappy-dev)

say() { echo "pulsar-native: $*"; }
fail() { echo "pulsar-native: $*" >&2; exit 1; }
started_at=$SECONDS
step_at=$SECONDS
step() { say "$1"; step_at=$SECONDS; }
done_step() { say "  done in $((SECONDS - step_at)) s"; }

loads() {
  (cd "$root" && node -e "
    const { Client } = require('pulsar-client')
    const client = new Client({ serviceUrl: 'pulsar://127.0.0.1:1', operationTimeoutSeconds: 1 })
    client.close().then(() => process.exit(0), () => process.exit(0))
  " 2>"$cache/load-error.txt")
}

[ -f "$package_dir/package.json" ] ||
  fail "node_modules/pulsar-client is not installed: run 'npm ci' (or 'npm install pulsar-client') first"
mkdir -p "$cache"
# One build at a time per cache: a second run (another checkout sharing .cache, a parallel CI
# step) waits for the first and then finds its result.
exec 9>"$cache/.lock"
if ! flock -n 9; then
  say "another build holds ${cache#"$root"/}/.lock; waiting for it"
  flock 9
fi
package_version="$(node -p "require('$package_dir/package.json').version")"
grep -q "CPP_CLIENT_VERSION=$cpp_version" "$package_dir/pulsar-client-cpp.txt" ||
  fail "pulsar-client $package_version is built against another C++ client than $cpp_version ($(cat "$package_dir/pulsar-client-cpp.txt" | tr '\n' ' ')); add that version's source to vendor/"

if [ "${PULSAR_NATIVE_FORCE:-}" != 1 ] && loads; then
  say "pulsar-client $package_version already loads its addon; nothing to build"
  exit 0
fi

# --- 1. Debian packages -------------------------------------------------------
missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  [ "$(id -u)" = 0 ] ||
    fail "missing Debian packages ${missing[*]}; install them as root: apt-get install ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >"$cache/apt.log" 2>&1 ||
    { tail -n 20 "$cache/apt.log" >&2; fail "apt-get could not install ${missing[*]} (log: $cache/apt.log)"; }
  done_step
fi

# --- 2. the C++ client ----------------------------------------------------------
# The tarball's hash and the recipe's name: a change to either builds again.
recipe=static-no-vcpkg-1
build_id="$(sha256sum "$tarball" | cut -c1-16)-$recipe"
if [ "$(cat "$cpp_dir/install/.complete" 2>/dev/null)" != "$build_id" ]; then
  step "checking $tarball against vendor/SHA256SUMS"
  [ -f "$tarball" ] || fail "$tarball is missing: it is part of the repository (git checkout -- vendor/)"
  (cd vendor && sha256sum --quiet -c SHA256SUMS) ||
    fail "$tarball does not match vendor/SHA256SUMS: the file is damaged; git checkout -- vendor/"
  done_step

  step "building the Pulsar C++ client $cpp_version into ${cpp_dir#"$root"/} (about 7 minutes on 2 cores, once)"
  rm -rf "$cpp_dir"
  mkdir -p "$cpp_dir/src"
  tar xzf "$tarball" -C "$cpp_dir/src" --strip-components=1
  cmake -S "$cpp_dir/src" -B "$cpp_dir/build" -DINTEGRATE_VCPKG=OFF -DBUILD_TESTS=OFF \
    -DBUILD_PERF_TOOLS=OFF -DBUILD_DYNAMIC_LIB=OFF -DBUILD_STATIC_LIB=ON \
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=$cpp_dir/install" >"$cpp_dir/cmake.log" 2>&1 ||
    { tail -n 30 "$cpp_dir/cmake.log" >&2; fail "cmake could not configure the C++ client (log: $cpp_dir/cmake.log)"; }
  make -C "$cpp_dir/build" -j "$jobs" pulsarStatic >"$cpp_dir/make.log" 2>&1 ||
    { grep -m 20 -E 'error|Error' "$cpp_dir/make.log" >&2; fail "the C++ client did not compile (log: $cpp_dir/make.log)"; }
  cmake --install "$cpp_dir/build" >>"$cpp_dir/make.log" 2>&1 ||
    fail "cmake --install failed (log: $cpp_dir/make.log)"
  # The linker must see libpulsar.a alone: next to a libpulsar.so it would take the shared one.
  mkdir -p "$cpp_dir/static"
  cp "$cpp_dir/install/lib/libpulsar.a" "$cpp_dir/static/"
  rm -rf "$cpp_dir/build" "$cpp_dir/src"
  echo "$build_id" >"$cpp_dir/install/.complete"
  done_step
else
  say "C++ client $cpp_version: cached in ${cpp_dir#"$root"/}"
fi

# --- 3. the addon -------------------------------------------------------------
binding_dir="$package_dir/lib/binding"
addon_key="pulsar-client-$package_version-node$(node -p 'process.versions.modules')-$build_id"
cached_addon="$cache/addon/$addon_key/pulsar.node"
if [ -f "$cached_addon" ]; then
  step "addon: cached build for pulsar-client $package_version"
  mkdir -p "$binding_dir"
  cp "$cached_addon" "$binding_dir/pulsar.node"
else
  step "building the addon of pulsar-client $package_version against the C++ client (about 30 s)"
  pre_gyp="$root/node_modules/.bin/node-pre-gyp"
  [ -x "$pre_gyp" ] || fail "node_modules/.bin/node-pre-gyp is missing: run 'npm ci' again"
  [ -f /usr/include/node/node_api.h ] ||
    fail "Node's headers are not in /usr/include/node (install Debian's nodejs headers, or set npm_config_nodedir)"
  # gcc passes --as-needed by default and node-gyp puts LDFLAGS before the objects:
  # --no-as-needed keeps the libraries that libpulsar.a needs.
  (cd "$package_dir" &&
    CXXFLAGS="-I$cpp_dir/install/include" \
    LDFLAGS="-L$cpp_dir/static -Wl,--no-as-needed -lprotobuf -lcurl -lssl -lcrypto -lz -lzstd -lsnappy" \
    "$pre_gyp" rebuild --nodedir=/usr -j "$jobs") >"$cache/addon.log" 2>&1 ||
    { grep -m 20 -E 'error|Error' "$cache/addon.log" >&2; fail "the addon did not build (log: $cache/addon.log)"; }
  mkdir -p "$(dirname "$cached_addon")"
  cp "$binding_dir/pulsar.node" "$cached_addon"
fi
# The package's own install step: the CA bundle its TLS connections trust by default.
(cd "$package_dir" && node GenCertFile.js)
done_step

# --- 4. check -----------------------------------------------------------------
step "checking that pulsar-client loads"
loads || { cat "$cache/load-error.txt" >&2; fail "the addon was built but does not load (see above)"; }
done_step
say "pulsar-client $package_version loads its addon ($(du -h "$binding_dir/pulsar.node" | cut -f1)); total $((SECONDS - started_at)) s"
