#!/usr/bin/env bash
# Build target/debian/farm_*.deb: the release binary, its man page and completions, the systemd
# units, and a postinst that creates the `farm` user. Needs `cargo install cargo-deb`.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release
mkdir -p target/assets
./target/release/farm man | gzip -9n > target/assets/farm.1.gz
./target/release/farm completions bash > target/assets/farm.bash
./target/release/farm completions zsh > target/assets/_farm
./target/release/farm completions fish > target/assets/farm.fish
cargo deb --no-build "$@"
