"""SandboxClient: claims sandboxes from warm pools (synchronous)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from kubernetes import client as k8s

from .claims import ClaimApi, claim_body, new_claim_name, ready_condition
from .connection import Connection, SandboxRouterConnection
from .errors import SandboxError
from .kube import bearer_token, load_api_client
from .sandbox import Sandbox
from .wire import SandboxAddress


@dataclass(frozen=True)
class ClaimInfo:
    """A claim as listed."""

    name: str
    namespace: str
    sandbox_name: Optional[str]
    ready: bool
    created_at: Optional[datetime]


def default_connection(connection: Optional[Connection]) -> Optional[Connection]:
    if connection is not None:
        return connection
    url = os.environ.get("AGENT_SANDBOX_ROUTER_URL")
    return SandboxRouterConnection(url) if url else None


def address_of(claim: dict[str, Any]) -> SandboxAddress:
    status = claim.get("status") or {}
    sandbox = status.get("sandbox") or {}
    return SandboxAddress(claim["metadata"]["namespace"], sandbox["name"], tuple(sandbox.get("podIPs") or ()))


def claim_info(claim: dict[str, Any]) -> ClaimInfo:
    meta = claim["metadata"]
    created = meta.get("creationTimestamp")
    ready = ready_condition(claim)
    return ClaimInfo(
        meta["name"],
        meta["namespace"],
        ((claim.get("status") or {}).get("sandbox") or {}).get("name"),
        bool(ready and ready.get("status") == "True"),
        datetime.fromisoformat(created.replace("Z", "+00:00")) if isinstance(created, str) else created,
    )


def check_ready(claim: dict[str, Any]) -> None:
    ready = ready_condition(claim)
    if not ready or ready.get("status") != "True" or not ((claim.get("status") or {}).get("sandbox") or {}).get("name"):
        meta = claim["metadata"]
        why = f"{ready.get('reason')}: {ready.get('message', '')}" if ready else "no Ready condition"
        raise SandboxError(f"claim {meta['namespace']}/{meta['name']} is not Ready ({why})")


class SandboxClient:
    """Claims sandboxes from warm pools and hands them out ready to use.

    ``create_sandbox`` makes a SandboxClaim named ``sandbox-claim-<8 hex>``, waits for it to be
    Ready with one watch, and deletes it again if anything fails on the way. Used with ``with``,
    the client terminates every sandbox it created when the block ends.
    """

    def __init__(
        self,
        connection: Optional[Connection] = None,
        *,
        namespace: Optional[str] = None,
        kubeconfig: Optional[str] = None,
        context: Optional[str] = None,
        api_client: Optional[k8s.ApiClient] = None,
    ) -> None:
        if api_client is None:
            api_client, context_namespace = load_api_client(kubeconfig, context)
        else:
            context_namespace = "default"
        self.api_client = api_client
        self.namespace = namespace or context_namespace
        self.connection = default_connection(connection)
        self._claims = ClaimApi(api_client)
        self._active: dict[str, Sandbox] = {}

    def create_sandbox(
        self,
        warmpool: str,
        namespace: Optional[str] = None,
        sandbox_ready_timeout: float = 180,
        shutdown_after_seconds: Optional[int] = None,
        labels: Optional[dict[str, str]] = None,
        annotations: Optional[dict[str, str]] = None,
        volume_claim_templates: Optional[list[dict[str, Any]]] = None,
        additional_pod_metadata: Optional[dict[str, Any]] = None,
        env: Optional[list[dict[str, str]]] = None,
    ) -> Sandbox:
        namespace = namespace or self.namespace
        name = new_claim_name()
        body = claim_body(
            name,
            namespace,
            warmpool,
            labels=labels,
            annotations=annotations,
            shutdown_after_seconds=shutdown_after_seconds,
            volume_claim_templates=volume_claim_templates,
            additional_pod_metadata=additional_pod_metadata,
            env=env,
        )
        created = self._claims.create(body)
        try:
            ready = self._claims.wait_for_ready(created, sandbox_ready_timeout)
            return self._attach(ready)
        except BaseException:
            # Whatever went wrong (timeout, final reason, Ctrl-C), the claim must not linger.
            try:
                self._claims.delete(namespace, name)
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
            raise

    def get_sandbox(self, claim_name: str, namespace: Optional[str] = None) -> Sandbox:
        """A claim that exists and is Ready, as a Sandbox."""
        claim = self._claims.get(namespace or self.namespace, claim_name)
        check_ready(claim)
        return self._attach(claim)

    def list_active_sandboxes(self) -> list[Sandbox]:
        """The sandboxes this client created and has not terminated."""
        return list(self._active.values())

    def list_all_sandboxes(self, namespace: Optional[str] = None) -> list[ClaimInfo]:
        """Every claim of the namespace, made by any client."""
        return [claim_info(c) for c in self._claims.list(namespace or self.namespace)]

    def delete_sandbox(self, claim_name: str, namespace: Optional[str] = None) -> None:
        namespace = namespace or self.namespace
        self._active.pop(f"{namespace}/{claim_name}", None)
        self._claims.delete(namespace, claim_name)

    def delete_all(self) -> None:
        """Terminates every sandbox this client created."""
        for sandbox in list(self._active.values()):
            sandbox.terminate()

    def close(self) -> None:
        try:
            self.delete_all()
        finally:
            self.api_client.close()

    def __enter__(self) -> "SandboxClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _attach(self, claim: dict[str, Any]) -> Sandbox:
        if self.connection is None:
            raise SandboxError("no connection configured: pass SandboxRouterConnection(url) or set AGENT_SANDBOX_ROUTER_URL")
        address = address_of(claim)
        name = claim["metadata"]["name"]
        key = f"{address.namespace}/{name}"

        def terminate() -> None:
            self._active.pop(key, None)
            self._claims.delete(address.namespace, name)

        token = (lambda: self.connection.token) if isinstance(self.connection, SandboxRouterConnection) and self.connection.token else (lambda: bearer_token(self.api_client))
        sandbox = Sandbox(name, address, self.connection, token, terminate)
        self._active[key] = sandbox
        return sandbox
