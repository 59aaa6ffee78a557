"""Agent Sandbox for Python: claim a sandbox from a warm pool, run commands and move files in it.

    from k8s_agent_sandbox import SandboxClient, SandboxRouterConnection

    with SandboxClient(SandboxRouterConnection("http://sandbox-router:8080")) as client:
        with client.create_sandbox("python") as sandbox:
            print(sandbox.commands.run("python3 -c 'print(6*7)'").stdout)
"""

from .async_client import AsyncCommands, AsyncFiles, AsyncSandbox, AsyncSandboxClient
from .claims import FINAL_CLAIM_REASONS, new_claim_name
from .client import ClaimInfo, SandboxClient
from .connection import Connection, SandboxDirectConnection, SandboxRouterConnection
from .errors import (
    ClaimFailedError,
    ClaimRefusedError,
    CommandTimeoutError,
    KubernetesApiError,
    RouterError,
    SandboxError,
    SandboxGoneError,
    SandboxReadyTimeoutError,
    SandboxRuntimeError,
)
from .sandbox import Commands, Files, Sandbox
from .wire import ExecutionResult, FileEntry, OutputEvent

__all__ = [
    "AsyncCommands",
    "AsyncFiles",
    "AsyncSandbox",
    "AsyncSandboxClient",
    "ClaimFailedError",
    "ClaimInfo",
    "ClaimRefusedError",
    "CommandTimeoutError",
    "Commands",
    "Connection",
    "ExecutionResult",
    "FINAL_CLAIM_REASONS",
    "FileEntry",
    "Files",
    "KubernetesApiError",
    "OutputEvent",
    "RouterError",
    "Sandbox",
    "SandboxClient",
    "SandboxDirectConnection",
    "SandboxError",
    "SandboxGoneError",
    "SandboxReadyTimeoutError",
    "SandboxRouterConnection",
    "SandboxRuntimeError",
    "new_claim_name",
]
