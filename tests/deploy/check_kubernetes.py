#!/usr/bin/env python3
"""Schema check of deploy/kubernetes/*.yaml without a cluster (no kubeconform in Debian).

Each object is checked against a subset of the Kubernetes API schema written out below: the
apiVersion and kind pairs used, the fields allowed at each level with their types (an unknown
or misspelt field fails, as `kubectl apply --validate=strict` would), required fields, DNS-1123
names. Then what Augur needs: selectors that match their pod labels, every volumeMount naming a
declared volume, every claim declared, TLS and token secrets mounted read-only, pods that run
as non-root without privilege escalation, and every --flag of a container's command known to
the binary (its --help). Usage: check_kubernetes.py SOURCE_DIR BUILD_DIR [MANIFEST_DIR]
"""
import glob
import os
import re
import subprocess
import sys

import yaml

S, I, B, ANY = str, int, bool, object
# A schema is a dict of field -> type or nested schema; [x] is a list of x; "map" a string map.
META = {"name": S, "labels": "map", "annotations": "map", "namespace": S}
PROBE = {"tcpSocket": {"port": (S, I)}, "initialDelaySeconds": I, "periodSeconds": I,
         "failureThreshold": I, "exec": {"command": [S]}}
CONTAINER = {
    "name": S, "image": S, "command": [S], "args": [S], "workingDir": S,
    "ports": [{"containerPort": I, "name": S, "protocol": S}],
    "env": [{"name": S, "value": S,
             "valueFrom": {"secretKeyRef": {"name": S, "key": S},
                           "fieldRef": {"fieldPath": S}}}],
    "resources": {"limits": "quantities", "requests": "quantities"},
    "volumeMounts": [{"name": S, "mountPath": S, "readOnly": B, "subPath": S}],
    "readinessProbe": PROBE, "livenessProbe": PROBE,
    "securityContext": {"allowPrivilegeEscalation": B, "readOnlyRootFilesystem": B,
                        "runAsNonRoot": B, "capabilities": {"drop": [S], "add": [S]}},
}
POD = {
    "containers": [CONTAINER], "volumes": [{
        "name": S, "persistentVolumeClaim": {"claimName": S, "readOnly": B},
        "secret": {"secretName": S, "defaultMode": I,
                   "items": [{"key": S, "path": S, "mode": I}]},
        "emptyDir": {}}],
    "nodeSelector": "map", "terminationGracePeriodSeconds": I, "serviceAccountName": S,
    "securityContext": {"runAsNonRoot": B, "runAsUser": I, "runAsGroup": I, "fsGroup": I,
                        "seccompProfile": {"type": S}},
}
TEMPLATE = {"metadata": META, "spec": POD}
SELECTOR = {"matchLabels": "map"}
KINDS = {
    ("v1", "PersistentVolumeClaim"): {"accessModes": [S], "storageClassName": S,
                                      "resources": {"requests": "map"}},
    ("v1", "Service"): {"selector": "map", "type": S, "clusterIP": S,
                        "ports": [{"name": S, "port": I, "targetPort": (S, I), "protocol": S}]},
    ("apps/v1", "StatefulSet"): {"serviceName": S, "replicas": I, "selector": SELECTOR,
                                 "template": TEMPLATE},
    ("apps/v1", "DaemonSet"): {"selector": SELECTOR, "template": TEMPLATE,
                               "updateStrategy": {"type": S}},
}
REQUIRED = {"containers": ["name", "image"], "StatefulSet": ["selector", "template",
            "serviceName"], "DaemonSet": ["selector", "template"], "Service": ["ports"]}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
BINARIES = {"augur-scheduler": "scheduler/augur-scheduler", "augur-worker": "worker/augur-worker"}

errors = []


def check(value, schema, where):
    if schema == "quantities":  # Resource quantities: "8", 8, "20Gi".
        if not isinstance(value, dict) or not all(
                isinstance(v, (str, int)) and not isinstance(v, bool) for v in value.values()):
            errors.append(f"{where}: expected a map of quantities")
    elif schema == "map":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            errors.append(f"{where}: expected a map of strings")
    elif isinstance(schema, list):
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list")
        else:
            for i, item in enumerate(value):
                check(item, schema[0], f"{where}[{i}]")
    elif isinstance(schema, dict):
        if not isinstance(value, dict):
            errors.append(f"{where}: expected an object")
            return
        for key, v in value.items():
            if key not in schema:
                errors.append(f"{where}: unknown field {key!r}")
            else:
                check(v, schema[key], f"{where}.{key}")
    elif not isinstance(value, schema) or (schema is I and isinstance(value, bool)):
        errors.append(f"{where}: expected {schema}, got {value!r}")


def main(src, build, manifests):
    objects = []
    for path in sorted(glob.glob(os.path.join(manifests, "*.yaml"))):
        for doc in yaml.safe_load_all(open(path)):
            if doc:
                objects.append((os.path.basename(path), doc))
    claims = {o["metadata"]["name"] for _, o in objects if o.get("kind") == "PersistentVolumeClaim"}
    secrets_mounted = set()
    for f, o in objects:
        key = (o.get("apiVersion"), o.get("kind"))
        where = f"{f}:{o.get('kind')}/{o.get('metadata', {}).get('name')}"
        if key not in KINDS:
            errors.append(f"{where}: unknown apiVersion/kind {key}")
            continue
        check(o, {"apiVersion": S, "kind": S, "metadata": META, "spec": KINDS[key]}, where)
        if not DNS1123.match(o["metadata"].get("name", "")):
            errors.append(f"{where}: name is not DNS-1123")
        for field in REQUIRED.get(o["kind"], []):
            if field not in o.get("spec", {}):
                errors.append(f"{where}: spec.{field} is required")
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
            for field in REQUIRED["containers"]:
                if field not in c:
                    errors.append(f"{where}: container needs {field}")
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
