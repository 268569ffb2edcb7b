#!/usr/bin/env python3
"""Checks and helpers of the deployment tests (tests/deploy_*_test.sh).

Reads deploy/ with real parsers (PyYAML from python3-yaml, json) and answers:
  static DEPLOY_DIR SERVER_HELP WORKER_HELP   structure of compose, k8s, Dockerfile; exit 1 + reasons
  argv COMPOSE SERVICE [FROM=TO ...]          the service's command, substituted, NUL-separated
  env COMPOSE SERVICE [FROM=TO ...]           the service's environment as NAME=VALUE lines
  prometheus-config SRC DST SERVER WORKERS SELF   prometheus.yml for loopback (WORKERS: a,b)
  exprs DASHBOARD                             every PromQL expression of the dashboard, one a line
  metric-names FILE...                        bitsearch_* names used by dashboard JSON / alert YAML
  runtime-packages DOCKERFILE STAGE BINARY... the packages the binaries link are installed by STAGE
"""
import json
import os
import re
import subprocess
import sys

import yaml

ERRORS = []


def check(cond, msg):
    if not cond:
        ERRORS.append(msg)
    return cond


def load_yaml_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def substitute(value, pairs):
    for src, dst in pairs:
        value = value.replace(src, dst)
    return value


def parse_pairs(args):
    pairs = []
    for a in args:
        src, _, dst = a.partition("=")
        pairs.append((src, dst))
    return pairs


def compose_service(path, name):
    doc = yaml.safe_load(open(path))
    return doc["services"][name]


def cmd_argv(path, service, *pairs):
    svc = compose_service(path, service)
    cmd = svc.get("command", [])
    if isinstance(cmd, str):
        cmd = cmd.split()
    sys.stdout.write("\0".join(substitute(str(a), parse_pairs(pairs)) for a in cmd))


def cmd_env(path, service, *pairs):
    env = compose_service(path, service).get("environment", {}) or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    for k, v in env.items():
        print(f"{k}={substitute(str(v), parse_pairs(pairs))}")


def cmd_prometheus_config(src, dst, server, workers, self_addr):
    cfg = yaml.safe_load(open(src))
    cfg["global"]["scrape_interval"] = "1s"
    cfg["global"]["evaluation_interval"] = "1s"
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    for name in ("bitsearch-server", "bitsearch-worker", "prometheus"):
        if name not in jobs:
            sys.exit(f"{src}: no scrape job {name}")
    jobs["bitsearch-server"]["static_configs"] = [{"targets": [server]}]
    w = jobs["bitsearch-worker"]
    # Compose finds the replicas through Docker's DNS; on loopback they are listed.
    if "dns_sd_configs" not in w:
        sys.exit(f"{src}: bitsearch-worker is not discovered through DNS (needed for --scale)")
    del w["dns_sd_configs"]
    w["static_configs"] = [{"targets": workers.split(",")}]
    jobs["prometheus"]["static_configs"] = [{"targets": [self_addr]}]
    yaml.safe_dump(cfg, open(dst, "w"), sort_keys=False)


def dashboard_exprs(path):
    dash = json.load(open(path))
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                out.append(t["expr"])
            walk(p.get("panels", []))

    walk(dash["panels"])
    return out


def metric_names(paths):
    names = set()
    for path in paths:
        if path.endswith(".json"):
            exprs = dashboard_exprs(path)
        else:
            exprs = [r["expr"] for d in load_yaml_all(path) for g in d["groups"] for r in g["rules"]]
        for e in exprs:
            names.update(re.findall(r"\bbitsearch_[a-z0-9_]+", e))
    return sorted(names)


# ---- static structure ---------------------------------------------------------------------------

def flags_of(help_text):
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))


def check_flags(where, args, known):
    for a in args:
        if a.startswith("--"):
            flag = a.split("=", 1)[0]
            check(flag in known, f"{where}: flag {flag} is not a flag of the binary")


def check_compose(deploy, server_flags, worker_flags):
    path = os.path.join(deploy, "docker-compose.yml")
    doc = yaml.safe_load(open(path))
    svcs = doc.get("services", {})
    for name in ("server", "worker", "prometheus", "grafana"):
        check(name in svcs, f"compose: no service {name}")
    server, worker = svcs["server"], svcs["worker"]
    check(server.get("build", {}).get("target") == "server", "compose: server not built from target server")
    check(worker.get("build", {}).get("target") == "worker", "compose: worker not built from target worker")
    vols = [v for v in server.get("volumes", []) if isinstance(v, str)]
    named = [v for v in vols if v.split(":")[0] in (doc.get("volumes") or {})]
    check(any(v.split(":")[1] == "/var/lib/bitsearch" for v in named),
          "compose: the server's /var/lib/bitsearch is not a named volume")
    # --scale needs replicas that do not collide.
    check("container_name" not in worker, "compose: worker has container_name (breaks --scale)")
    check("ports" not in worker, "compose: worker publishes host ports (breaks --scale)")
    secrets = doc.get("secrets", {})
    for s in ("client_token", "worker_token"):
        check(s in secrets and "file" in secrets[s], f"compose: secret {s} is not file-based")
    for name, svc in svcs.items():
        text = json.dumps(svc)
        check(not re.search(r"(?i)token=[0-9a-f]{16,}|PASSWORD=[^_]", text),
              f"compose: service {name} carries a literal token or password")
    server_cmd = server.get("command", [])
    worker_cmd = worker.get("command", [])
    check_flags("compose server", server_cmd, server_flags)
    check_flags("compose worker", worker_cmd, worker_flags)
    for flag in ("--client-token-file=/run/secrets/client_token",
                 "--worker-token-file=/run/secrets/worker_token", "--metrics=0.0.0.0:9464"):
        check(flag in server_cmd, f"compose: server command lacks {flag}")
    check("--metrics=0.0.0.0:9465" in worker_cmd, "compose: worker metrics not exposed")
    check(any(a.startswith("--token-file=/run/secrets/") for a in worker_cmd),
          "compose: worker token does not come from a secret")
    check("worker_token" in worker.get("secrets", []), "compose: worker lacks the worker_token secret")
    graf = svcs["grafana"]
    check(any("/etc/grafana/provisioning" in v for v in graf.get("volumes", [])),
          "compose: grafana provisioning not mounted")
    check(str(graf.get("environment", {}).get("GF_SECURITY_ADMIN_PASSWORD__FILE", "")).startswith("/run/secrets/"),
          "compose: grafana admin password not from a secret file")
    prom = svcs["prometheus"]
    check(any("prometheus.yml" in v for v in prom.get("volumes", [])), "compose: prometheus.yml not mounted")
    check(any("alerts.yml" in v for v in prom.get("volumes", [])), "compose: alerts.yml not mounted")


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def check_k8s(deploy, server_flags, worker_flags):
    kdir = os.path.join(deploy, "k8s")
    docs = []
    for name in sorted(os.listdir(kdir)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            for d in load_yaml_all(os.path.join(kdir, name)):
                docs.append((name, d))
    for name, d in docs:
        for field in ("apiVersion", "kind", "metadata"):
            check(field in d, f"k8s {name}: a document lacks {field}")
        check("name" in d.get("metadata", {}), f"k8s {name}: a {d.get('kind')} has no metadata.name")
    kinds = {}
    for _, d in docs:
        kinds.setdefault(d["kind"], []).append(d)
    kust = yaml.safe_load(open(os.path.join(kdir, "kustomization.yaml")))
    files = {n for n in os.listdir(kdir) if n.endswith(".yaml") and n != "kustomization.yaml"}
    check(set(kust.get("resources", [])) == files, "k8s: kustomization.yaml does not list every manifest")

    sts = [s for s in kinds.get("StatefulSet", []) if s["metadata"]["name"] == "bitsearch-server"]
    deps = [s for s in kinds.get("Deployment", []) if s["metadata"]["name"] == "bitsearch-worker"]
    secrets = kinds.get("Secret", [])
    if not (check(len(sts) == 1, "k8s: no StatefulSet bitsearch-server")
            and check(len(deps) == 1, "k8s: no Deployment bitsearch-worker")
            and check(len(secrets) == 1, "k8s: no token Secret")):
        return
    sts, dep, secret = sts[0], deps[0], secrets[0]
    check(sts["spec"].get("replicas") == 1, "k8s: the server StatefulSet must have exactly 1 replica")
    vct = sts["spec"].get("volumeClaimTemplates", [])
    check(len(vct) == 1 and "ReadWriteOnce" in vct[0]["spec"]["accessModes"],
          "k8s: the server needs one ReadWriteOnce volume claim template")
    headless = [s for s in kinds.get("Service", []) if s["metadata"]["name"] == sts["spec"].get("serviceName")]
    check(headless and headless[0]["spec"].get("clusterIP") == "None",
          "k8s: StatefulSet serviceName is not a headless Service")
    sdata = secret.get("stringData") or secret.get("data") or {}
    check({"client_token", "worker_token"} <= set(sdata), "k8s: Secret lacks client_token/worker_token")

    for obj, known, comp in ((sts, server_flags, "server"), (dep, worker_flags, "worker")):
        name = obj["metadata"]["name"]
        sel = obj["spec"]["selector"]["matchLabels"]
        tmpl = obj["spec"]["template"]
        check(labels_match(sel, tmpl["metadata"]["labels"]), f"k8s {name}: selector does not match the pod labels")
        svc = [s for s in kinds.get("Service", []) if labels_match(s["spec"].get("selector", {}), tmpl["metadata"]["labels"])]
        if comp == "server":
            check(any(s["metadata"]["name"] == "bitsearch-server" for s in svc),
                  "k8s: Service bitsearch-server does not select the server pod")
        pod = tmpl["spec"]
        check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"k8s {name}: not runAsNonRoot")
        c = pod["containers"][0]
        check_flags(f"k8s {name}", c.get("args", []), known)
        req = c.get("resources", {}).get("requests", {})
        check("cpu" in req and "memory" in req, f"k8s {name}: no cpu/memory requests")
        for probe in ("readinessProbe", "livenessProbe"):
            check(probe in c, f"k8s {name}: no {probe}")
        if comp == "server":
            for probe in ("readinessProbe", "livenessProbe"):
                check(c.get(probe, {}).get("grpc", {}).get("port") == 50051,
                      f"k8s {name}: {probe} is not a gRPC health probe on 50051")
            check(any(a.startswith("--listen=") and a.endswith(":50051") for a in c.get("args", [])),
                  "k8s server: does not listen on 50051")
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
        for mname in mounts:
            check(mname in vols or any(t["metadata"]["name"] == mname for t in obj["spec"].get("volumeClaimTemplates", [])),
                  f"k8s {name}: volumeMount {mname} has no volume")
        tok = [v for v in vols.values() if v.get("secret", {}).get("secretName") == secret["metadata"]["name"]]
        check(tok, f"k8s {name}: the token Secret is not mounted")
        for a in c.get("args", []):
            if "-file=/run/secrets/" in a:
                key = a.rsplit("/", 1)[1]
                check(any(i["path"] == key for v in tok for i in v["secret"].get("items", [])),
                      f"k8s {name}: {a} names a file the Secret mount does not provide")
        env = {e["name"]: e for e in c.get("env", [])}
        if comp == "worker":
            check(env.get("BITSEARCH_SERVER", {}).get("value", "").startswith("bitsearch-server:"),
                  "k8s worker: BITSEARCH_SERVER does not point at the Service")


def dockerfile_stages(path):
    stages, cur = {}, None
    text = open(path).read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            cur = m.group(2) or m.group(1)
            stages[cur] = {"from": m.group(1), "lines": []}
        elif cur:
            stages[cur]["lines"].append(line)
    return stages


def stage_packages(stages, stage):
    pkgs = []
    seen = set()
    while stage in stages and stage not in seen:
        seen.add(stage)
        for line in stages[stage]["lines"]:
            m = re.search(r"apt-get install ([^&]*)", line)
            if m:
                pkgs += [w for w in m.group(1).split() if not w.startswith("-")]
        stage = stages[stage]["from"]
    return pkgs


def check_dockerfile(deploy):
    path = os.path.join(deploy, "Dockerfile")
    stages = dockerfile_stages(path)
    text = open(path).read()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.M))
    for name in ("build", "server", "worker", "prometheus"):
        check(name in stages, f"Dockerfile: no stage {name}")
    for name, st in stages.items():
        base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), st["from"])
        check(base in stages or base.startswith("debian:bookworm"), f"Dockerfile: stage {name} is not Debian 12 ({base})")
        for line in st["lines"]:
            check(not re.search(r"\b(curl|wget|pip3? install|git clone)\b", line),
                  f"Dockerfile: stage {name} downloads outside apt: {line[:60]}")
    for name in ("server", "worker", "prometheus"):
        users = [l for l in stages.get(name, {}).get("lines", []) if l.startswith("USER ")]
        check(users and not users[-1].split()[1].startswith(("root", "0")), f"Dockerfile: stage {name} runs as root")
    server_pkgs = stage_packages(stages, "server")
    check(not any("torch" in p for p in server_pkgs), "Dockerfile: the server image installs LibTorch")
    hc = [l for l in stages.get("server", {}).get("lines", []) if l.startswith("HEALTHCHECK")]
    check(hc and "bitsearch-health" in hc[0], "Dockerfile: server HEALTHCHECK is not the gRPC health probe")
    check("dataset-fashion-mnist" in stage_packages(stages, "worker"), "Dockerfile: worker lacks dataset-fashion-mnist")
    build = " ".join(stages.get("build", {}).get("lines", []))
    boot = open(os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "scripts", "bootstrap.sh")).read()
    for pkg in re.findall(r"\b(lib[a-z0-9+.-]*-dev|protobuf-compiler(?:-grpc)?|prometheus-cpp-dev|nlohmann-json3-dev)\b", boot):
        if pkg in ("libgtest-dev", "libgmock-dev"):
            continue
        check(pkg in build, f"Dockerfile: build stage lacks {pkg} (scripts/bootstrap.sh installs it)")


def cmd_static(deploy, server_help, worker_help):
    server_flags = flags_of(open(server_help).read())
    worker_flags = flags_of(open(worker_help).read())
    check(len(server_flags) > 5 and len(worker_flags) > 5, "could not read the binaries' --help")
    check_compose(deploy, server_flags, worker_flags)
    check_k8s(deploy, server_flags, worker_flags)
    check_dockerfile(deploy)
    dash = json.load(open(os.path.join(deploy, "grafana", "dashboards", "bitsearch.json")))
    ds = yaml.safe_load(open(os.path.join(deploy, "grafana", "provisioning", "datasources", "prometheus.yml")))
    uid = ds["datasources"][0]["uid"]
    for e in dashboard_exprs(os.path.join(deploy, "grafana", "dashboards", "bitsearch.json")):
        check(e.strip(), "dashboard: an empty expression")
    def walk(panels):
        for p in panels:
            if p.get("type") != "row":
                check(p.get("datasource", {}).get("uid") == uid, f"dashboard panel {p.get('title')}: data source is not {uid}")
            walk(p.get("panels", []))
    walk(dash["panels"])
    titles = " | ".join(p.get("title", "") for p in dash["panels"]).lower()
    for want in ("jobs by state", "queue depth", "queue wait", "job duration", "phase duration",
                 "search steps per second", "workers connected", "rpc latency"):
        check(want in titles, f"dashboard: no panel '{want}'")
    prov = yaml.safe_load(open(os.path.join(deploy, "grafana", "provisioning", "dashboards", "bitsearch.yml")))
    check(prov["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards",
          "grafana: dashboard provider path differs from the compose mount")
    if ERRORS:
        print("\n".join("FAIL: " + e for e in ERRORS))
        sys.exit(1)
    print("static checks OK")


# ---- runtime packages ---------------------------------------------------------------------------

def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout


def cmd_runtime_packages(dockerfile, stage, *binaries):
    stages = dockerfile_stages(dockerfile)
    listed = set(stage_packages(stages, stage))
    # What apt installs for the stage: the listed packages and their dependency closure (the
    # locally known package index answers; nothing is downloaded).
    closure = set(listed)
    out = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
               "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *sorted(listed)])
    for line in out.splitlines():
        line = line.strip()
        if line.startswith(("Depends:", "PreDepends:", "|Depends:", "|PreDepends:")):
            closure.add(line.split(":", 1)[1].strip().strip("<>").split(":")[0])
        elif line and not line.startswith(("Depends", "PreDepends", "|")) and " " not in line:
            closure.add(line.strip("<>").split(":")[0])
    base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}  # in debian:bookworm-slim
    missing = []
    needed = {}  # library path -> (binary, soname)
    for binary in binaries:
        for m in re.finditer(r"^\s*(\S+) => (\S+)", run(["ldd", binary]), re.M):
            needed.setdefault(os.path.realpath(m.group(2)), (os.path.basename(binary), m.group(1)))
    # One dpkg -S for all of them: "package[:arch]: /path" per line (merged /usr: try both).
    owners = {}
    queries = sorted(needed) + sorted(p.replace("/usr/lib/", "/lib/", 1) for p in needed)
    for line in run(["dpkg", "-S", *queries]).splitlines():
        pkgs, _, path = line.partition(": ")
        owners[path.replace("/lib/", "/usr/lib/", 1) if path.startswith("/lib/") else path] = \
            pkgs.split(",")[0].split(":")[0].strip()
    for path, (binary, soname) in needed.items():
        owner = owners.get(path)
        if not owner:
            missing.append(f"{soname} ({path}) belongs to no Debian package")
        elif owner not in closure and owner not in base:
            missing.append(f"{binary} needs {soname} from {owner}")
    if missing:
        print("\n".join(f"FAIL: Dockerfile stage {stage}: {x}" for x in sorted(set(missing))))
        sys.exit(1)
    print(f"stage {stage}: every library of {', '.join(os.path.basename(b) for b in binaries)} "
          f"comes from its {len(listed)} listed packages or their {len(closure)} dependencies")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "static":
        cmd_static(*args)
    elif cmd == "argv":
        cmd_argv(*args)
    elif cmd == "env":
        cmd_env(*args)
    elif cmd == "prometheus-config":
        cmd_prometheus_config(*args)
    elif cmd == "exprs":
        print("\n".join(dashboard_exprs(args[0])))
    elif cmd == "metric-names":
        print("\n".join(metric_names(args)))
    elif cmd == "runtime-packages":
        cmd_runtime_packages(*args)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
