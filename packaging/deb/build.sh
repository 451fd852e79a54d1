#!/usr/bin/env bash
# Build target/debian/farm_VERSION-1_ARCH.deb (package `farm`, [package.metadata.deb] in
# Cargo.toml): the release binary, its man page and completions, the systemd units, and a
# postinst that creates the `farm` user and its data directory. Needs cargo-deb.
set -euo pipefail
if ! cargo deb --version >/dev/null 2>&1; then
    echo "build.sh: cargo-deb is missing; install it with: cargo install cargo-deb" >&2
    exit 69
fi
cd "$(dirname "$0")/../.."
cargo build --release
mkdir -p target/assets
./target/release/farm man | gzip -9n > target/assets/farm.1.gz
./target/release/farm completions bash > target/assets/farm.bash
./target/release/farm completions zsh > target/assets/_farm
./target/release/farm completions fish > target/assets/farm.fish
cargo deb --no-build "$@"
