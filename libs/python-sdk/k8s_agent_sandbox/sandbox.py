"""A claimed sandbox, used synchronously (requests)."""

from __future__ import annotations

from typing import Callable, Iterator, Optional, Union

import requests

from .connection import Connection
from .errors import CommandTimeoutError, SandboxError
from .wire import (
    Budget,
    ExecutionResult,
    FileEntry,
    OutputEvent,
    SandboxAddress,
    error_of,
    execute_body,
    file_entries,
    path_url,
    server_sent_events,
    target,
)


class _Transport:
    def __init__(self, connection: Connection, address: SandboxAddress, token: Callable[[], Optional[str]], session: requests.Session) -> None:
        self.connection = connection
        self.address = address
        self.token = token
        self.session = session

    def call(self, method: str, path: str, *, timeout: float, router_timeout: Optional[int] = None, stream: bool = False, **kwargs) -> requests.Response:
        url, headers = target(self.connection, self.address, path, self.token(), router_timeout)
        try:
            res = self.session.request(method, url, headers=headers, timeout=timeout, stream=stream, **kwargs)
        except requests.Timeout:
            raise CommandTimeoutError(f"{method} {path}: no answer in {timeout:g} s") from None
        if res.status_code >= 400:
            raise error_of(res.status_code, res.text, res.headers, self.address)
        return res


class Commands:
    def __init__(self, transport: _Transport) -> None:
        self._t = transport

    def run(self, command: str, timeout: Optional[float] = 60, *, stdin: Optional[str] = None, env: Optional[dict[str, str]] = None, cwd: Optional[str] = None) -> ExecutionResult:
        """Runs `command` (split shell-style, no shell) and returns once it has ended.

        Raises CommandTimeoutError when it was killed at `timeout` seconds.
        """
        budget = Budget.of(timeout)
        res = self._t.call("POST", "/execute", json=execute_body(command, budget, stdin, env, cwd), timeout=budget.client, router_timeout=budget.router)
        body = res.json()
        if body.get("timed_out"):
            raise CommandTimeoutError(f'command "{command}" was killed after {budget.server} s', body.get("stdout", ""), body.get("stderr", ""))
        return ExecutionResult(body["stdout"], body["stderr"], body["exit_code"])

    def stream(self, command: str, timeout: Optional[float] = 60, *, stdin: Optional[str] = None, env: Optional[dict[str, str]] = None, cwd: Optional[str] = None) -> Iterator[OutputEvent]:
        """Yields the command's output as it comes, then one "exit" event. Closing the iterator stops the command."""
        budget = Budget.of(timeout)
        res = self._t.call("POST", "/execute/stream", json=execute_body(command, budget, stdin, env, cwd), timeout=budget.client, router_timeout=budget.router, stream=True)
        out = {"stdout": "", "stderr": ""}
        try:
            for event, data in server_sent_events(_lines(res)):
                payload = _json(data)
                if event in out:
                    text = payload.get("data", "")
                    if len(out[event]) < 1 << 20:
                        out[event] += text
                    yield OutputEvent(event, text)
                elif event == "exit":
                    if payload.get("timed_out"):
                        raise CommandTimeoutError(f'command "{command}" was killed after {budget.server} s', out["stdout"], out["stderr"])
                    yield OutputEvent("exit", exit_code=payload.get("exit_code"))
                    return
            raise SandboxError(f'command "{command}": the event stream ended without an exit event')
        except requests.exceptions.ConnectionError as err:
            if "timed out" in str(err).lower():
                raise CommandTimeoutError(f'command "{command}": no answer in {budget.client:g} s') from None
            raise
        finally:
            res.close()


def _json(text: str) -> dict:
    import json

    return json.loads(text)


def _lines(res: requests.Response) -> Iterator[str]:
    """Lines as they arrive (requests' own iter_lines waits for a full buffer)."""
    pending = ""
    for chunk in res.iter_content(chunk_size=None, decode_unicode=False):
        pending += chunk.decode("utf-8", errors="replace") if isinstance(chunk, bytes) else chunk
        while "\n" in pending:
            line, pending = pending.split("\n", 1)
            yield line
    if pending:
        yield pending


class Files:
    def __init__(self, transport: _Transport) -> None:
        self._t = transport

    def write(self, path: str, content: Union[bytes, str], timeout: float = 300) -> None:
        """Writes `content` to `path` in the workspace (folders created as needed), replacing what was there."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        self._t.call("POST", "/upload", files={"file": (path, data)}, timeout=timeout)

    def read(self, path: str, timeout: float = 300) -> bytes:
        return self._t.call("GET", path_url("download", path), timeout=timeout).content

    def list(self, path: str = "", timeout: float = 60) -> list[FileEntry]:
        return file_entries(self._t.call("GET", path_url("list", path), timeout=timeout).json())

    def exists(self, path: str, timeout: float = 60) -> bool:
        return bool(self._t.call("GET", path_url("exists", path), timeout=timeout).json()["exists"])


class Sandbox:
    """A claimed sandbox. ``with`` terminates it (deletes the claim) at the end of the block."""

    def __init__(self, claim_name: str, address: SandboxAddress, connection: Connection, token: Callable[[], Optional[str]], on_terminate: Callable[[], None]) -> None:
        self.claim_name = claim_name
        self.sandbox_name = address.sandbox_name
        self.namespace = address.namespace
        self.pod_ips = list(address.pod_ips)
        self._session = requests.Session()
        transport = _Transport(connection, address, token, self._session)
        self.commands = Commands(transport)
        self.files = Files(transport)
        self._on_terminate = on_terminate
        self._terminated = False

    def terminate(self) -> None:
        """Deletes the claim; its Sandbox and Pod go with it. Safe to call twice."""
        if self._terminated:
            return
        self._terminated = True
        try:
            self._on_terminate()
        finally:
            self._session.close()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    def __repr__(self) -> str:
        return f"Sandbox(claim={self.namespace}/{self.claim_name}, sandbox={self.sandbox_name})"
