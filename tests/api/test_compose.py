"""docker-compose.yml and the Dockerfile: no Docker daemon here, so check the files and run the
exact commands their services run (host names and ports swapped for loopback ones)."""

import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SITEX = str(Path(sys.executable).parent / "sitex")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_compose_file_shape():
    c = compose()
    ex, ag = c["services"]["exchange"], c["services"]["agents"]
    assert ex["build"] == "." and (ROOT / "Dockerfile").exists()
    assert ag["image"] == ex["image"]
    assert "journal" in c["volumes"] and "journal:/data" in ex["volumes"]
    assert "/data/journal.db" in ex["command"]
    assert ex["healthcheck"]["test"][0] == "CMD"
    assert ag["depends_on"]["exchange"]["condition"] == "service_healthy"
    assert "http://exchange:8000" in ag["command"]
    for svc in (ex, ag):
        assert "SITEX_ADMIN_KEY" in svc["environment"]
    assert "/readyz" in ex["healthcheck"]["test"][-1]  # healthy = the journal replayed, taking orders


def prometheus_config() -> tuple[dict, dict]:
    """The prometheus service and the scrape config it mounts."""
    prom = compose()["services"]["prometheus"]
    source, target, *_ = next(v for v in prom["volumes"] if v.endswith(".yml:ro")).split(":")
    assert target == "/etc/prometheus/prometheus.yml"
    assert f"--config.file={target}" in prom["command"]
    return prom, yaml.safe_load((ROOT / source).read_text())


def test_prometheus_scrapes_the_exchange():
    prom, config = prometheus_config()
    name, _, tag = prom["image"].partition(":")
    assert name == "prom/prometheus"  # the official image, at a pinned release
    assert tag.startswith("v") and tag[1:].replace(".", "").isdigit()
    assert prom["depends_on"]["exchange"]["condition"] == "service_healthy"
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["exchange:8000"]
    assert "8000:8000" in compose()["services"]["exchange"]["ports"]


def test_dockerfile_copies_every_package_and_runs_the_compose_command():
    ins = dockerfile_instructions()
    copied = {rest.split()[0].rstrip("/") for word, rest in ins if word == "COPY"}
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"}
    assert packages <= copied
    build_files = {name for word, rest in ins if word == "COPY" for name in rest.split()[:-1]}
    assert {"pyproject.toml", "setup.py"} <= build_files  # setup.py compiles the matching core
    cmd = [rest for word, rest in ins if word == "CMD"][-1]
    import json

    assert json.loads(cmd) == compose()["services"]["exchange"]["command"]
    assert any(word == "HEALTHCHECK" for word, _ in ins)
    assert any(word == "USER" and rest != "root" for word, rest in ins)


def local(argv: list[str], port: int, journal: str) -> list[str]:
    """A service's command for this machine: loopback host and port, a temporary journal."""
    swap = {"0.0.0.0": "127.0.0.1", "8000": str(port), "/data/journal.db": journal,
            "http://exchange:8000": f"http://127.0.0.1:{port}"}
    argv = [swap.get(a, a.replace("127.0.0.1:8000", f"127.0.0.1:{port}")) for a in argv]
    if argv[0] == "sitex":
        argv[0] = SITEX
    if argv[0] == "python":
        argv[0] = sys.executable
    return argv


def test_the_services_commands_run_together(tmp_path, port):
    c = compose()
    ex, ag = c["services"]["exchange"], c["services"]["agents"]
    env = dict(os.environ, SITEX_ADMIN_KEY="compose-test")
    server = subprocess.Popen(local(ex["command"], port, str(tmp_path / "journal.db")), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        health = local(ex["healthcheck"]["test"][1:], port, "")
        deadline = time.monotonic() + 20
        while subprocess.run(health, capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "the healthcheck never passed"
            time.sleep(0.2)
        agents = local(ag["command"], port, "")
        agents[agents.index("--seconds") + 1] = "2"  # the service runs forever; two seconds here
        out = subprocess.run(agents, env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        orders = int(out.stdout.split("sitex agents: ")[1].split(" orders")[0])
        assert orders > 0, out.stdout
        # what Prometheus would scrape: its job's target and path, on this machine
        _, config = prometheus_config()
        job = config["scrape_configs"][0]
        target = job["static_configs"][0]["targets"][0].replace("exchange:8000", f"127.0.0.1:{port}")
        metrics = urllib.request.urlopen(f"http://{target}{job['metrics_path']}", timeout=5).read().decode()
        accepted = [line for line in metrics.splitlines()
                    if line.startswith('sitex_orders_total{outcome="accepted"')]
        assert accepted and float(accepted[0].split()[-1]) >= orders, metrics[:500]
        assert (tmp_path / "journal.db").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
    assert shlex.join(ex["command"]).startswith("sitex serve")
