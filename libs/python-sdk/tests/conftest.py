"""The environment of the integration tests: a cluster, a router and a runtime, started by
e2e/sdk/python-env.ts (it uses the cluster named by KUBECONFIG, else starts its own) and torn
down when the session ends."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Env:
    namespace: str
    kubeconfig: str
    admin_kubeconfig: str
    router_url: str
    runtime_port: int
    host_address: str
    stranger_token: str


@pytest.fixture(scope="session")
def env() -> Iterator[Env]:
    proc = subprocess.Popen(
        [str(ROOT / "node_modules" / ".bin" / "node"), str(ROOT / "e2e" / "sdk" / "python-env.ts")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if not line:
        proc.wait(timeout=60)
        raise RuntimeError(f"python-env.ts exited ({proc.returncode}) before describing the environment")
    d = json.loads(line)
    try:
        yield Env(d["namespace"], d["kubeconfig"], d["adminKubeconfig"], d["routerUrl"], int(d["runtimePort"]), d["hostAddress"], d["strangerToken"])
    finally:
        if proc.stdin:
            proc.stdin.close()
        assert proc.wait(timeout=120) == 0, "the test environment did not tear down cleanly"


@pytest.fixture(scope="session")
def admin(env: Env) -> k8s.CustomObjectsApi:
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(config_file=env.admin_kubeconfig, client_configuration=configuration)
    return k8s.CustomObjectsApi(k8s.ApiClient(configuration))


def claim_exists(admin: k8s.CustomObjectsApi, namespace: str, name: str) -> bool:
    try:
        admin.get_namespaced_custom_object("extensions.agents.x-k8s.io", "v1beta1", namespace, "sandboxclaims", name)
        return True
    except k8s.exceptions.ApiException as err:
        if err.status == 404:
            return False
        raise
