#!/usr/bin/env bash
# `promtool check config docs/prometheus.yml`: promtool also checks that the files the config
# names exist (the token, the targets, the rules), so it runs on a copy beside stand-ins for them.
# usage: check_config.sh PROMTOOL SOURCE_DIR
set -euo pipefail
promtool=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/docs/prometheus.yml" "$src/docs/prometheus-rules.yml" "$tmp/"
echo 0123456789abcdef0123 >"$tmp/dbgcoord.token"
echo '- targets: ["127.0.0.1:7070"]' >"$tmp/dbgcoord-targets.yml"
"$promtool" check config "$tmp/prometheus.yml"
