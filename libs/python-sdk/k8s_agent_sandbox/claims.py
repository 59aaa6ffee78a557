"""SandboxClaims through the Kubernetes API: create, wait for Ready with one watch, delete."""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import urllib3
from kubernetes import client as k8s
from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException

from .errors import ClaimFailedError, ClaimRefusedError, KubernetesApiError, SandboxGoneError, SandboxReadyTimeoutError

GROUP = "extensions.agents.x-k8s.io"
VERSION = "v1beta1"
PLURAL = "sandboxclaims"
CREATED_BY_LABEL = "agents.x-k8s.io/created-by"
CLIENT_FIRST_REQUESTED_AT = "agents.x-k8s.io/client-first-requested-at"

#: Claim Ready reasons a client treats as final (the standard's list).
FINAL_CLAIM_REASONS = frozenset({"InvalidMetadata", "EnvVarsInjectionRejected", "VolumeClaimTemplatesError", "ClaimExpired", "SandboxExpired"})


def new_claim_name() -> str:
    """``sandbox-claim-<8 hex>``."""
    return f"sandbox-claim-{secrets.token_hex(4)}"


def _rfc3339_nano(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


def claim_body(
    name: str,
    namespace: str,
    warmpool: str,
    *,
    labels: Optional[dict[str, str]] = None,
    annotations: Optional[dict[str, str]] = None,
    shutdown_after_seconds: Optional[int] = None,
    volume_claim_templates: Optional[list[dict[str, Any]]] = None,
    additional_pod_metadata: Optional[dict[str, Any]] = None,
    env: Optional[list[dict[str, str]]] = None,
    now: Optional[datetime] = None,
) -> dict[str, Any]:
    now = now or datetime.now(timezone.utc)
    spec: dict[str, Any] = {"warmPoolRef": {"name": warmpool}}
    if shutdown_after_seconds is not None:
        at = now + timedelta(seconds=shutdown_after_seconds)
        spec["lifecycle"] = {"shutdownTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "shutdownPolicy": "Delete"}
    if volume_claim_templates:
        spec["volumeClaimTemplates"] = volume_claim_templates
    if additional_pod_metadata:
        spec["additionalPodMetadata"] = additional_pod_metadata
    if env:
        spec["env"] = env
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "SandboxClaim",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**(labels or {}), CREATED_BY_LABEL: "python-client"},
            "annotations": {**(annotations or {}), CLIENT_FIRST_REQUESTED_AT: _rfc3339_nano(now)},
        },
        "spec": spec,
    }


def ready_condition(claim: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    for c in ((claim or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c
    return None


def api_error(err: ApiException) -> KubernetesApiError:
    try:
        status = json.loads(err.body or "{}")
    except (TypeError, ValueError):
        status = {}
    return KubernetesApiError(int(status.get("code") or err.status or 0), status.get("reason") or str(err.reason), status.get("message") or str(err))


class ClaimApi:
    """The claim calls the clients make, on one Kubernetes ApiClient."""

    def __init__(self, api_client: k8s.ApiClient) -> None:
        self.api_client = api_client
        self.objects = k8s.CustomObjectsApi(api_client)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.objects.create_namespaced_custom_object(GROUP, VERSION, body["metadata"]["namespace"], PLURAL, body)
        except ApiException as err:
            e = api_error(err)
            raise ClaimRefusedError(e.status, e.reason, str(e)) from None

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        try:
            return self.objects.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        except ApiException as err:
            if err.status == 404:
                raise SandboxGoneError(f"claim {namespace}/{name} does not exist") from None
            raise api_error(err) from None

    def list(self, namespace: str) -> list[dict[str, Any]]:
        try:
            return self.objects.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL).get("items", [])
        except ApiException as err:
            raise api_error(err) from None

    def delete(self, namespace: str, name: str) -> None:
        """Deletes a claim (its Sandbox and Pod follow); a missing one is fine."""
        try:
            self.objects.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name, body=k8s.V1DeleteOptions(propagation_policy="Background"))
        except ApiException as err:
            if err.status != 404:
                raise api_error(err) from None

    def wait_for_ready(self, created: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Waits for Ready with one watch from the resourceVersion the create returned.

        Raises ClaimFailedError at once on a final reason, SandboxGoneError if the claim is
        deleted, SandboxReadyTimeoutError (with the last Ready condition) when time runs out.
        """
        name = created["metadata"]["name"]
        namespace = created["metadata"]["namespace"]
        resource_version = created["metadata"].get("resourceVersion", "")
        last = ready_condition(created)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxReadyTimeoutError(name, last, timeout)
            w = k8s_watch.Watch()
            try:
                for event in w.stream(
                    self.objects.list_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    namespace,
                    PLURAL,
                    field_selector=f"metadata.name={name}",
                    resource_version=resource_version,
                    timeout_seconds=max(1, int(left + 0.999)),
                    _request_timeout=left + 5,
                ):
                    kind, obj = event["type"], event["object"]
                    if kind == "ERROR":
                        raise KubernetesApiError(int(obj.get("code", 500)), obj.get("reason", "Unknown"), obj.get("message", "watch error"))
                    if kind == "DELETED":
                        raise SandboxGoneError(f"claim {namespace}/{name} was deleted while waiting for it to be Ready")
                    resource_version = obj["metadata"].get("resourceVersion", resource_version)
                    ready = ready_condition(obj)
                    last = ready or last
                    if ready and ready.get("status") == "True" and ((obj.get("status") or {}).get("sandbox") or {}).get("name"):
                        return obj
                    if ready and ready.get("status") == "False" and ready.get("reason") in FINAL_CLAIM_REASONS:
                        raise ClaimFailedError(name, ready)
                    if time.monotonic() >= deadline:
                        raise SandboxReadyTimeoutError(name, last, timeout)
            except ApiException as err:
                raise api_error(err) from None
            except (OSError, ValueError, urllib3.exceptions.HTTPError) as err:
                # The read timed out (urllib3 raises these): time is up, or the server went quiet.
                if time.monotonic() >= deadline:
                    raise SandboxReadyTimeoutError(name, last, timeout) from None
                raise KubernetesApiError(0, "WatchFailed", f"watching claim {namespace}/{name}: {err}") from None
            finally:
                w.stop()
