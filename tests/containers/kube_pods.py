#!/usr/bin/env python3
"""Pods for `podman kube play`, derived from the project's Deployment rather than copied.

Takes the pod template of the Deployment in DEPLOYMENT and changes only what a local engine needs:
  - one Pod per name in --pods, each the template as it is (init containers, containers, env,
    volumes, probes), named so and labelled with --label;
  - image names replaced as --image FROM=TO says (the manifests name registry images);
  - restartPolicy OnFailure: podman 4.3 restarts a `Always` pod's init container in a loop;
  - no `ports`: podman 4.3 publishes a containerPort on the host's port of the same number (in
    Kubernetes it is informational), so two pods would collide on the host's port 8000;
  - the Secret of SECRET, its url pointing at the test database (--url), any other key of it set
    by --secret-value KEY=VALUE (every key must be given one, so no example address is played),
    given as a ConfigMap of the same name and keys: podman 4.3.1 panics on any `secret:` volume (a
    nil secrets manager in kube.VolumeFromSecret), so the template's secret volume becomes a
    configMap volume with the same name, items and mount;
  - a ConfigMap holding --migrations' files under the name the template's configMap volume gives.
Each Pod is written to OUT.POD.yaml (one `podman kube play` each, so that they start together:
one play runs its pods' init containers one pod after the other), the two ConfigMaps to
OUT.secret.yaml and OUT.migrations.yaml for `podman kube play --configmap`.
Anything else that differs from the template is an error, so the test plays what users deploy.
Usage:
  kube_pods.py DEPLOYMENT SECRET --url URL [--secret-value KEY=VALUE...] --migrations DIR
               --image FROM=TO... --pods A,B --label KEY=VALUE --out OUT
"""
import argparse
import copy
import os
import sys

import yaml


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("deployment")
    ap.add_argument("secret")
    ap.add_argument("--url", required=True)
    ap.add_argument("--secret-value", action="append", default=[])
    ap.add_argument("--migrations", required=True)
    ap.add_argument("--image", action="append", default=[])
    ap.add_argument("--pods", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.deployment) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    if len(deployments) != 1:
        sys.exit(f"{args.deployment}: expected one Deployment, found {len(deployments)}")
    template = deployments[0]["spec"]["template"]
    images = dict(i.split("=", 1) for i in args.image)

    spec = copy.deepcopy(template["spec"])
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        if c["image"] not in images:
            sys.exit(f"{args.deployment}: no local image given for {c['image']}")
        c["image"] = images[c["image"]]
        c.pop("ports", None)
    if spec.get("restartPolicy", "Always") != "Always":
        sys.exit(f"{args.deployment}: a Deployment's pods restart Always; found {spec['restartPolicy']}")
    spec["restartPolicy"] = "OnFailure"

    config_maps = [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v]
    secrets = [v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v]
    for v in spec.get("volumes", []):
        if "secret" in v:
            source = v.pop("secret")
            v["configMap"] = {"name": source.pop("secretName"), **source}

    with open(args.secret) as f:
        secret = yaml.safe_load(f)
    if secret["metadata"]["name"] not in secrets:
        sys.exit(f"{args.secret}: {secret['metadata']['name']} is not the Secret the template mounts ({secrets})")
    values = {"url": args.url, **dict(v.split("=", 1) for v in args.secret_value)}
    if set(values) != set(secret["stringData"]):
        sys.exit(f"{args.secret}: its keys are {sorted(secret['stringData'])}; values were given for {sorted(values)}")
    secret["stringData"].update(values)
    with open(args.out + ".secret.yaml", "w") as f:
        yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": secret["metadata"]["name"]},
                        "data": secret["stringData"]}, f, sort_keys=False)

    key, value = args.label.split("=", 1)
    for name in args.pods.split(","):
        labels = dict(template.get("metadata", {}).get("labels", {}))
        labels[key] = value
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
               "spec": copy.deepcopy(spec)}
        with open(f"{args.out}.{name}.yaml", "w") as f:
            yaml.safe_dump(pod, f, sort_keys=False)

    if len(config_maps) != 1:
        sys.exit(f"{args.deployment}: expected one configMap volume, found {config_maps}")
    data = {}
    for name in sorted(os.listdir(args.migrations)):
        with open(os.path.join(args.migrations, name)) as f:
            data[name] = f.read()
    with open(args.out + ".migrations.yaml", "w") as f:
        yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": config_maps[0]}, "data": data},
                       f, sort_keys=False)


if __name__ == "__main__":
    main()
