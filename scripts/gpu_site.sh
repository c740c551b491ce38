# Sourced by the scripts that run on a lent GPU machine (CUDA and PyTorch, no network, nothing
# installed): lays vgx's folders out as the package they install as, puts it on PYTHONPATH and a
# `vgx` command on PATH. The folder goes when the calling shell exits.
gpu_site=$(mktemp -d)
trap 'rm -rf "$gpu_site"' EXIT
cp -r vgx "$gpu_site/vgx"
for stage in train export runtime benchmarks; do ln -s "$PWD/$stage" "$gpu_site/vgx/$stage"; done
mkdir -p "$gpu_site/bin"
printf '#!/bin/sh\nexec python3 -P -m vgx "$@"\n' >"$gpu_site/bin/vgx"
chmod +x "$gpu_site/bin/vgx"
command -v python >/dev/null || ln -s "$(command -v python3)" "$gpu_site/bin/python"  # images with python3 alone
export PYTHONPATH="$gpu_site${PYTHONPATH:+:$PYTHONPATH}" PATH="$gpu_site/bin:$PATH"
