#!/usr/bin/env bash
# Writes the cluster's secrets into deploy/secrets/ (git-ignored), once: a client token, a worker
# token and Grafana's admin password, each 32 random bytes in hex. Existing files are kept.
# docker-compose.yml mounts them at /run/secrets/NAME; for Kubernetes see deploy/k8s/secret.yaml.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
install -d -m 0700 "$dir"
for name in client_token worker_token grafana_admin_password; do
  if [[ ! -s "$dir/$name" ]]; then
    (umask 022; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$dir/$name"; echo >>"$dir/$name")
    echo "wrote $dir/$name"
  fi
done
# Compose (without Swarm) bind-mounts secret files with their host mode; the images run as uid
# 10001, so the files are world-readable inside a folder only the owner can enter.
chmod 0644 "$dir"/*
