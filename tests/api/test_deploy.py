"""The Docker image and Kubernetes manifests, checked without a Docker engine or a cluster.

Manifests are validated against the Kubernetes OpenAPI schemas that ship with
``kubernetes-validate`` (offline, strict: unknown fields refused), then checked for what the
deployment promises: resources, probes, non-root containers, Services that select their pods,
and a ConfigMap the server actually reads. The Dockerfile is parsed and checked structurally.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from gramabm.api import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def _documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((f"{path.name}:{doc['kind']}/{doc['metadata']['name']}", doc))
    return docs


DOCS = _documents()


def _of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for _, d in DOCS if d["kind"] == kind]


@pytest.mark.parametrize(("name", "doc"), DOCS, ids=[n for n, _ in DOCS])
def test_manifest_is_valid_kubernetes(name: str, doc: dict[str, Any]) -> None:
    version = kubernetes_validate.latest_version()
    kubernetes_validate.validate(doc, version, strict=True)


def test_a_broken_manifest_is_caught() -> None:
    # The validator is not a rubber stamp: a misspelt field fails strict validation.
    doc = next(d for d in _of_kind("Deployment") if d["metadata"]["name"] == "gramabm-api")
    broken = yaml.safe_load(yaml.safe_dump(doc))
    broken["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def test_the_expected_resources_exist() -> None:
    kinds = {(d["kind"], d["metadata"]["name"]) for _, d in DOCS}
    assert {
        ("Deployment", "gramabm-api"),
        ("Service", "gramabm-api"),
        ("Deployment", "gramabm-dask-scheduler"),
        ("Service", "gramabm-dask-scheduler"),
        ("Deployment", "gramabm-dask-worker"),
        ("Service", "gramabm-dask-worker"),
        ("ConfigMap", "gramabm-config"),
    } <= kinds


@pytest.mark.parametrize(
    "deployment",
    _of_kind("Deployment"),
    ids=[d["metadata"]["name"] for d in _of_kind("Deployment")],
)
def test_containers_have_limits_probes_and_no_root(deployment: dict[str, Any]) -> None:
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    for container in pod["containers"]:
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"])
        assert {"cpu", "memory"} <= set(resources["limits"])
        assert "livenessProbe" in container
        assert "readinessProbe" in container
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        named = {p["name"] for p in container["ports"]}
        for probe in (container["livenessProbe"], container["readinessProbe"]):
            port = (probe.get("httpGet") or probe.get("tcpSocket"))["port"]
            assert port in named


def test_services_select_their_pods_and_ports() -> None:
    deployments = _of_kind("Deployment")
    for service in _of_kind("Service"):
        selector = service["spec"]["selector"]
        targets = [
            d
            for d in deployments
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert targets, f"service {service['metadata']['name']} selects no pod"
        ports = {
            p["name"]
            for d in targets
            for c in d["spec"]["template"]["spec"]["containers"]
            for p in c["ports"]
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports


def test_api_probes_hit_real_routes_and_listens_on_the_pod(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from gramabm.api import create_app

    api = next(d for d in _of_kind("Deployment") if d["metadata"]["name"] == "gramabm-api")
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert api["spec"]["replicas"] == 1
    assert api["spec"]["strategy"]["type"] == "Recreate"
    assert container["command"][:2] == ["gramabm", "serve"]
    assert "0.0.0.0" in container["command"]
    env = {e["name"]: e for e in container.get("env", [])}
    assert "secretKeyRef" in env["GRAMABM_API_KEY"]["valueFrom"]
    paths = {container[p]["httpGet"]["path"] for p in ("livenessProbe", "readinessProbe")}
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        for path in paths:
            assert client.get(path).status_code == 200


def test_configmap_is_read_by_the_server() -> None:
    (config,) = _of_kind("ConfigMap")
    data = dict(config["data"])
    assert all(key.startswith("GRAMABM_") for key in data)
    settings = Settings.from_env(data)
    assert str(settings.data_dir) == "/data"
    assert settings.dask_address == "tcp://gramabm-dask-scheduler:8786"
    assert "GRAMABM_API_KEY" not in data  # the key belongs in a Secret
    scheduler = next(
        s for s in _of_kind("Service") if s["metadata"]["name"] == "gramabm-dask-scheduler"
    )
    comm = next(p["port"] for p in scheduler["spec"]["ports"] if p["name"] == "comm")
    assert settings.dask_address.endswith(f"{scheduler['metadata']['name']}:{comm}")


# ------------------------------------------------------------------------------ Dockerfile


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(path=str(ROOT / "deploy" / "Dockerfile"))


def _instructions(parser: DockerfileParser, name: str) -> list[str]:
    return [i["value"] for i in parser.structure if i["instruction"] == name]


def test_dockerfile_base_user_and_healthcheck(dockerfile: DockerfileParser) -> None:
    froms = _instructions(dockerfile, "FROM")
    assert all(f.startswith("python:3.12-slim") for f in froms)
    assert dockerfile.baseimage == "python:3.12-slim"
    users = _instructions(dockerfile, "USER")
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    health = _instructions(dockerfile, "HEALTHCHECK")
    assert len(health) == 1
    assert "/health" in health[0]
    assert "8000" in _instructions(dockerfile, "EXPOSE")[0]
    cmd = _instructions(dockerfile, "CMD")[-1]
    assert "gramabm" in cmd
    assert "serve" in cmd


def test_dockerfile_installs_the_api_extra_from_files_that_exist(
    dockerfile: DockerfileParser,
) -> None:
    assert any(".[api]" in r for r in _instructions(dockerfile, "RUN"))
    for copy in _instructions(dockerfile, "COPY"):
        if copy.startswith("--from="):
            continue
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY source {source} is missing"
    # The final stage switches user after its last root-needing step.
    last_stage = dockerfile.structure[
        max(i for i, s in enumerate(dockerfile.structure) if s["instruction"] == "FROM") :
    ]
    order = [s["instruction"] for s in last_stage]
    assert order.index("USER") > max(i for i, n in enumerate(order) if n == "RUN")
