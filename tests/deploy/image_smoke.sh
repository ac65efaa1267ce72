#!/usr/bin/env bash
# Runs inside the Augur image as its user (tests/deploy/build_image.sh copies it in): the tiny
# sweep of tests/data two ways, each of which must end with both trials completed.
#  1. `augur run`: embedded scheduler, a local worker, augur-train.
#  2. A standalone cluster on loopback, secured as off loopback: `augur certs` and `augur token`
#     make the CA, certificates and tokens; augur-scheduler with TLS, mutual TLS for workers
#     and a tokens file; augur-worker with its certificate and token; `augur submit`, `ls`,
#     `workers` as an admin.
set -euo pipefail
cd "$(mktemp -d)"
echo "uid $(id -u)"
sed -e "s/lr: \[.*\]/lr: [0.006, 0.02]/" -e "s/kind: collapse/kind: none/" -e "/milestones:/d" \
    -e "/keep_top:/d" -e "s/tokens_per_param: 5/tokens_per_param: 2/" \
    /src/augur/tests/data/tiny_sweep.yaml > smoke.yaml

echo "== augur run"
augur run smoke.yaml --cpu-slots 2 --dashboard off 2>&1 | grep -E '^(sweep|winner|wall time)'

echo "== scheduler, worker and CLI over TLS with tokens"
augur certs tls --host 127.0.0.1 > /dev/null
augur token --role admin --name me > admin.txt
augur token --role worker --name nodes > worker.txt
sed -n 2p admin.txt > tokens
sed -n 2p worker.txt >> tokens
sed -n 1p worker.txt > worker.token
export AUGUR_TOKEN AUGUR_TLS_CA=tls/ca.crt
AUGUR_TOKEN=$(sed -n 1p admin.txt)
address=127.0.0.1:17171
augur-scheduler --listen $address --db cluster.db --tokens-file tokens --dashboard off \
  --tls-cert tls/scheduler.crt --tls-key tls/scheduler.key --tls-client-ca tls/ca.crt \
  2> scheduler.log &
augur-worker --scheduler $address --token-file worker.token --tls-ca tls/ca.crt \
  --tls-cert tls/worker.crt --tls-key tls/worker.key --work-dir work --cpu-slots 2 \
  2> worker.log &
trap 'kill %1 %2 2>/dev/null || true' EXIT
for _ in $(seq 100); do augur ls --scheduler $address > /dev/null 2>&1 && break; sleep 0.2; done
augur submit smoke.yaml --scheduler $address | head -1
for _ in $(seq 300); do
  augur ls --scheduler $address | grep -q ' done ' && break
  sleep 1
done
augur ls --scheduler $address
augur workers --scheduler $address
