#!/usr/bin/env python3
"""What Augur needs of deploy/kubernetes/*.yaml, checked without a cluster.

The upstream API schema (types, required and unknown fields) is checked by
kubernetes_schema/check_schema.mjs. This checks what it cannot: DNS-1123 names, selectors that
match their pod labels, every volumeMount naming a declared volume, every claim declared, TLS and
token secrets mounted read-only, pods that run as non-root without privilege escalation, and
every --flag of a container's command known to the binary (its --help).
Usage: check_kubernetes.py SOURCE_DIR BUILD_DIR [MANIFEST_DIR]
"""
import glob
import os
import re
import subprocess
import sys

import yaml

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
BINARIES = {"augur-scheduler": "scheduler/augur-scheduler", "augur-worker": "worker/augur-worker"}

errors = []


def main(src, build, manifests):
    objects = []
    for path in sorted(glob.glob(os.path.join(manifests, "*.yaml"))):
        for doc in yaml.safe_load_all(open(path)):
            if doc:
                objects.append((os.path.basename(path), doc))
    claims = {o["metadata"]["name"] for _, o in objects if o.get("kind") == "PersistentVolumeClaim"}
    secrets_mounted = set()
    for f, o in objects:
        where = f"{f}:{o.get('kind')}/{o.get('metadata', {}).get('name')}"
        if not DNS1123.match(o.get("metadata", {}).get("name", "")):
            errors.append(f"{where}: name is not DNS-1123")
        if "template" not in o.get("spec", {}):
            continue
        spec = o["spec"]
        labels = spec["template"]["metadata"].get("labels", {})
        if any(labels.get(k) != v for k, v in spec["selector"]["matchLabels"].items()):
            errors.append(f"{where}: selector does not match the pod labels")
        pod = spec["template"]["spec"]
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            errors.append(f"{where}: pod must set securityContext.runAsNonRoot")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for v in volumes.values():
            claim = v.get("persistentVolumeClaim", {}).get("claimName")
            if claim and claim not in claims:
                errors.append(f"{where}: volume {v['name']} claims undeclared {claim}")
        for c in pod["containers"]:
            if c.get("securityContext", {}).get("allowPrivilegeEscalation") is not False:
                errors.append(f"{where}: {c['name']} must set allowPrivilegeEscalation: false")
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    errors.append(f"{where}: mount {m['name']} names no volume")
                elif "secret" in volumes[m["name"]]:
                    secrets_mounted.add(m["mountPath"])
                    if not m.get("readOnly"):
                        errors.append(f"{where}: secret {m['name']} must be mounted readOnly")
            command = c.get("command", [])
            if command and command[0] in BINARIES:
                flags = sorted({a for a in command[1:] if a.startswith("--")})
                for a in command:  # Secret files the command reads must be mounted.
                    if a.startswith("/etc/augur/") and not any(
                            a.startswith(p + "/") for p in secrets_mounted):
                        errors.append(f"{where}: {a} is on no mounted secret")
                needed = {"augur-scheduler": ["--tls-cert", "--tls-key", "--tokens-file"],
                          "augur-worker": ["--tls-ca", "--token-file"]}[command[0]]
                for flag in needed:
                    if flag not in flags:
                        errors.append(f"{where}: {command[0]} without {flag}")
                r = subprocess.run([os.path.join(src, "tests/deploy/check_flags.sh"),
                                    os.path.join(build, BINARIES[command[0]])] + flags,
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    errors.append(f"{where}: {r.stderr.strip()}")
    for e in errors:
        print(e, file=sys.stderr)
    print(f"kubernetes: {len(objects)} objects checked, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    # A third argument checks another folder (tests/deploy/bad_kubernetes must fail).
    sys.exit(main(sys.argv[1], sys.argv[2],
                  sys.argv[3] if len(sys.argv) > 3 else os.path.join(sys.argv[1],
                                                                     "deploy/kubernetes")))
