"""The runtime's wire format, shared by the sync and async clients: requests, results, errors, events."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import quote

from .connection import Connection, SandboxRouterConnection
from .errors import RouterError, SandboxError, SandboxGoneError, SandboxRuntimeError

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class ExecutionResult:
    stdout: str
    stderr: str
    exit_code: int


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    type: str  # "file" | "directory"
    mod_time: datetime


@dataclass(frozen=True)
class OutputEvent:
    """One event of a streamed command: ``type`` is "stdout", "stderr" or "exit"."""

    type: str
    data: str = ""
    exit_code: Optional[int] = None


@dataclass(frozen=True)
class SandboxAddress:
    namespace: str
    sandbox_name: str
    pod_ips: tuple[str, ...]


@dataclass(frozen=True)
class Budget:
    """Seconds for the runtime, a little more for the router and the client: the runtime's own timeout fires first."""

    server: int
    router: int
    client: float

    @staticmethod
    def of(timeout: Optional[float]) -> "Budget":
        server = max(1, math.ceil(timeout if timeout is not None else DEFAULT_TIMEOUT))
        return Budget(server, server + 5, server + 10.0)


def target(connection: Connection, address: SandboxAddress, path: str, token: Optional[str], router_timeout: Optional[int] = None) -> tuple[str, dict[str, str]]:
    """The URL and headers of a runtime request over `connection`."""
    if isinstance(connection, SandboxRouterConnection):
        headers = {
            "X-Sandbox-ID": address.sandbox_name,
            "X-Sandbox-Namespace": address.namespace,
            "X-Sandbox-Port": str(connection.port),
        }
        if router_timeout is not None:
            headers["X-Sandbox-Timeout"] = str(router_timeout)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return connection.url.rstrip("/") + path, headers
    if not address.pod_ips:
        raise SandboxError(f"sandbox {address.namespace}/{address.sandbox_name} has no Pod IP to connect to")
    ip = address.pod_ips[0]
    host = f"[{ip}]" if ":" in ip else ip
    return f"http://{host}:{connection.port}{path}", {}


def path_url(verb: str, path: str) -> str:
    return f"/{verb}/{quote(path, safe='')}"


def execute_body(command: str, budget: Budget, stdin: Optional[str], env: Optional[dict[str, str]], cwd: Optional[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"command": command, "timeout": budget.server}
    if stdin is not None:
        body["stdin"] = stdin
    if env:
        body["env"] = env
    if cwd is not None:
        body["cwd"] = cwd
    return body


def error_of(status: int, text: str, headers: Any, address: SandboxAddress) -> Exception:
    """The router answers ``{"detail"}``, the runtime ``{"message"}``: which one failed decides the error."""
    try:
        body = json.loads(text)
    except ValueError:
        body = {}
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        if status == 404:
            return SandboxGoneError(f"sandbox {address.namespace}/{address.sandbox_name} is gone: {body['detail']}")
        retry = headers.get("retry-after") if headers is not None else None
        return RouterError(status, body["detail"], float(retry) if retry else None)
    message = body.get("message") if isinstance(body, dict) else None
    return SandboxRuntimeError(status, message if isinstance(message, str) else (text[:300] or f"HTTP {status}"))


def file_entries(items: list[dict[str, Any]]) -> list[FileEntry]:
    return [FileEntry(e["name"], int(e["size"]), e["type"], datetime.fromtimestamp(float(e["mod_time"]), tz=timezone.utc)) for e in items]


def server_sent_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from the lines of a ``text/event-stream``."""
    event, data = "message", []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
    if data:
        yield event, "\n".join(data)
