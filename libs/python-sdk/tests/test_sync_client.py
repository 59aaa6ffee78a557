"""The synchronous client against the real API server, router and runtime."""

from __future__ import annotations

import os
import re
import time

import pytest

from k8s_agent_sandbox import (
    ClaimFailedError,
    ClaimRefusedError,
    CommandTimeoutError,
    KubernetesApiError,
    RouterError,
    SandboxClient,
    SandboxDirectConnection,
    SandboxGoneError,
    SandboxReadyTimeoutError,
    SandboxRouterConnection,
    SandboxRuntimeError,
)

from .conftest import Env, claim_exists


@pytest.fixture()
def client(env: Env):
    with SandboxClient(SandboxRouterConnection(env.router_url, port=env.runtime_port), kubeconfig=env.kubeconfig) as c:
        yield c


def test_create_run_files_stream_and_gone_after_the_block(env: Env, admin, client: SandboxClient):
    with client.create_sandbox("python", shutdown_after_seconds=600, labels={"team.example/owner": "pytest"}) as sandbox:
        assert re.fullmatch(r"sandbox-claim-[0-9a-f]{8}", sandbox.claim_name)
        assert sandbox.namespace == env.namespace
        claim = admin.get_namespaced_custom_object("extensions.agents.x-k8s.io", "v1beta1", env.namespace, "sandboxclaims", sandbox.claim_name)
        assert claim["metadata"]["labels"]["agents.x-k8s.io/created-by"] == "python-client"
        assert claim["spec"]["lifecycle"]["shutdownPolicy"] == "Delete"

        result = sandbox.commands.run("python3 -c 'print(6*7)'")
        assert (result.stdout, result.stderr, result.exit_code) == ("42\n", "", 0)

        content = os.urandom(1024 * 1024)
        sandbox.files.write("data/random.bin", content)
        assert [(f.name, f.size, f.type) for f in sandbox.files.list("data")] == [("random.bin", len(content), "file")]
        assert sandbox.files.read("data/random.bin") == content
        assert sandbox.files.exists("data/random.bin") is True
        assert sandbox.files.exists("data/none") is False

        seen = []
        for event in sandbox.commands.stream('python3 -u -c "import time\nfor i in range(5):\n    print(i)\n    time.sleep(0.1)"'):
            seen.append((event, time.monotonic()))
        lines = [(e, t) for e, t in seen if e.type == "stdout"]
        assert "".join(e.data for e, _ in lines) == "0\n1\n2\n3\n4\n"
        assert seen[-1][0].type == "exit" and seen[-1][0].exit_code == 0
        # The first line came well before the end: streamed, not gathered.
        assert seen[-1][1] - lines[0][1] >= 0.3
        name = sandbox.claim_name
    assert not claim_exists(admin, env.namespace, name)


def test_direct_connection_to_the_pod_ip(env: Env):
    with SandboxClient(SandboxDirectConnection(port=env.runtime_port), kubeconfig=env.kubeconfig) as direct:
        with direct.create_sandbox("python") as sandbox:
            assert sandbox.pod_ips == [env.host_address]
            assert sandbox.commands.run("echo direct").stdout == "direct\n"


def test_claim_refused_carries_the_api_servers_message(client: SandboxClient):
    with pytest.raises(ClaimRefusedError) as info:
        client.create_sandbox("python", labels={"not a valid key!": "x"})
    assert info.value.status == 422
    assert "not a valid key!" in str(info.value)


def test_ready_timeout_carries_the_last_condition_and_deletes_the_claim(env: Env, admin, client: SandboxClient):
    with pytest.raises(SandboxReadyTimeoutError) as info:
        client.create_sandbox("slow", sandbox_ready_timeout=2)
    assert info.value.last_condition["reason"] == "SandboxCreatePending"
    assert info.value.last_condition["message"] == "waiting for a warm sandbox"
    assert not claim_exists(admin, env.namespace, info.value.claim)


def test_a_final_reason_fails_at_once(env: Env, admin, client: SandboxClient):
    started = time.monotonic()
    with pytest.raises(ClaimFailedError) as info:
        client.create_sandbox("invalid", sandbox_ready_timeout=60)
    assert info.value.condition["reason"] == "InvalidMetadata"
    assert time.monotonic() - started < 30
    assert not claim_exists(admin, env.namespace, info.value.claim)


def test_command_timeout_runtime_refusal_router_refusal_and_gone(env: Env, admin, client: SandboxClient):
    sandbox = client.create_sandbox("python")
    with pytest.raises(CommandTimeoutError) as timeout:
        sandbox.commands.run("sh -c 'echo started; sleep 30'", timeout=1)
    assert timeout.value.stdout == "started\n"

    with pytest.raises(SandboxRuntimeError) as refused:
        sandbox.files.read("../../etc/passwd")
    assert refused.value.status == 403

    for token, status in ((env.stranger_token, 403), ("not-a-token", 401)):
        # Not closed with `with`: closing a client terminates what it handed out, this claim included.
        other = SandboxClient(SandboxRouterConnection(env.router_url, token=token, port=env.runtime_port), kubeconfig=env.kubeconfig)
        with pytest.raises(RouterError) as err:
            other.get_sandbox(sandbox.claim_name).commands.run("true")
        assert err.value.status == status
        other.api_client.close()

    admin.delete_namespaced_custom_object("agents.x-k8s.io", "v1beta1", env.namespace, "sandboxes", sandbox.sandbox_name)
    deadline = time.monotonic() + 10
    while True:
        try:
            sandbox.commands.run("true")
        except SandboxGoneError:
            break
        except RouterError:
            pass
        assert time.monotonic() < deadline, "the router never reported the sandbox gone"
        time.sleep(0.1)
    sandbox.terminate()


def test_the_client_verbs(env: Env, admin, client: SandboxClient):
    a = client.create_sandbox("python")
    b = client.create_sandbox("python")
    assert sorted(s.claim_name for s in client.list_active_sandboxes()) == sorted([a.claim_name, b.claim_name])
    listed = {c.name: c for c in client.list_all_sandboxes()}
    assert listed[a.claim_name].ready and listed[b.claim_name].sandbox_name == b.claim_name
    assert client.get_sandbox(a.claim_name).commands.run("echo same").stdout == "same\n"
    client.delete_sandbox(a.claim_name)
    assert not claim_exists(admin, env.namespace, a.claim_name)
    client.delete_all()
    assert not claim_exists(admin, env.namespace, b.claim_name)
    assert client.list_active_sandboxes() == []
    with pytest.raises(SandboxGoneError):
        client.get_sandbox(a.claim_name)


def test_api_errors_are_typed(env: Env):
    with SandboxClient(SandboxRouterConnection(env.router_url), kubeconfig=env.kubeconfig) as c:
        with pytest.raises(KubernetesApiError) as info:
            c._claims.get("no-such-namespace-xyz", "x")  # no rights outside its namespace
        assert info.value.status == 403
