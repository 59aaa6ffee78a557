"""How requests reach a sandbox's runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union


@dataclass(frozen=True)
class SandboxRouterConnection:
    """Through the sandbox-router, or a gateway in front of it, at ``url`` (production).

    The sandbox is named in X-Sandbox-* headers; ``token`` (default: the kubeconfig's bearer
    token) is sent to the router, which checks that its user may get the claim or Sandbox.
    """

    url: str
    token: Optional[str] = None
    #: The runtime's port inside the sandbox (X-Sandbox-Port).
    port: int = 8888


@dataclass(frozen=True)
class SandboxDirectConnection:
    """Straight to the Pod's IP, from inside the cluster where Pod IPs are routable."""

    port: int = 8888


#: A port-forward tunnel to the router's Service (development) is not available yet.
Connection = Union[SandboxRouterConnection, SandboxDirectConnection]
