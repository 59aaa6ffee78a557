"""Unit tests of what needs no cluster."""

import re
from datetime import datetime, timezone

from k8s_agent_sandbox import FINAL_CLAIM_REASONS, RouterError, SandboxGoneError, SandboxRuntimeError, new_claim_name
from k8s_agent_sandbox.claims import claim_body
from k8s_agent_sandbox.wire import Budget, SandboxAddress, error_of, server_sent_events

ADDRESS = SandboxAddress("ns", "sb", ("10.0.0.1",))


def test_claim_names():
    names = {new_claim_name() for _ in range(50)}
    assert len(names) == 50
    assert all(re.fullmatch(r"sandbox-claim-[0-9a-f]{8}", n) for n in names)


def test_claim_body_is_the_standard_one():
    now = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    body = claim_body("sandbox-claim-00000001", "team", "python", labels={"a": "b"}, shutdown_after_seconds=60, now=now)
    assert body == {
        "apiVersion": "extensions.agents.x-k8s.io/v1beta1",
        "kind": "SandboxClaim",
        "metadata": {
            "name": "sandbox-claim-00000001",
            "namespace": "team",
            "labels": {"a": "b", "agents.x-k8s.io/created-by": "python-client"},
            "annotations": {"agents.x-k8s.io/client-first-requested-at": "2026-01-02T03:04:05.678000000Z"},
        },
        "spec": {"warmPoolRef": {"name": "python"}, "lifecycle": {"shutdownTime": "2026-01-02T03:05:05Z", "shutdownPolicy": "Delete"}},
    }


def test_final_reasons():
    assert FINAL_CLAIM_REASONS == {"InvalidMetadata", "EnvVarsInjectionRejected", "VolumeClaimTemplatesError", "ClaimExpired", "SandboxExpired"}


def test_errors_by_who_answered():
    assert isinstance(error_of(404, '{"detail": "Sandbox ns/sb not found"}', {}, ADDRESS), SandboxGoneError)
    err = error_of(503, '{"detail": "not ready"}', {"retry-after": "1"}, ADDRESS)
    assert isinstance(err, RouterError) and err.status == 503 and err.retry_after == 1.0
    err = error_of(403, '{"message": "Access denied"}', {}, ADDRESS)
    assert isinstance(err, SandboxRuntimeError) and err.status == 403


def test_budget_lets_the_runtime_time_out_first():
    assert Budget.of(1.2) == Budget(2, 7, 12.0)
    assert Budget.of(None).server == 60


def test_server_sent_events():
    lines = [": c", "event: stdout", 'data: {"data": "a"}', "", "event: exit\r", "data: x", "data: y", ""]
    assert list(server_sent_events(lines)) == [("stdout", '{"data": "a"}'), ("exit", "x\ny")]
