"""AsyncSandboxClient: the same verbs for asyncio (httpx for the sandbox, the API calls in a worker thread)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator, Callable, Optional, Union

import httpx
from kubernetes import client as k8s

from .claims import ClaimApi, claim_body, new_claim_name
from .client import ClaimInfo, address_of, check_ready, claim_info, default_connection
from .connection import Connection, SandboxRouterConnection
from .errors import CommandTimeoutError, SandboxError
from .kube import bearer_token, load_api_client
from .wire import Budget, ExecutionResult, FileEntry, OutputEvent, SandboxAddress, error_of, execute_body, file_entries, path_url, server_sent_events, target


class _AsyncTransport:
    def __init__(self, connection: Connection, address: SandboxAddress, token: Callable[[], Optional[str]], http: httpx.AsyncClient) -> None:
        self.connection = connection
        self.address = address
        self.token = token
        self.http = http

    async def _request(self, method: str, path: str, timeout: float, router_timeout: Optional[int]) -> tuple[str, dict[str, str]]:
        token = await asyncio.to_thread(self.token)
        return target(self.connection, self.address, path, token, router_timeout)

    async def call(self, method: str, path: str, *, timeout: float, router_timeout: Optional[int] = None, **kwargs: Any) -> httpx.Response:
        url, headers = await self._request(method, path, timeout, router_timeout)
        try:
            res = await self.http.request(method, url, headers=headers, timeout=timeout, **kwargs)
        except httpx.TimeoutException:
            raise CommandTimeoutError(f"{method} {path}: no answer in {timeout:g} s") from None
        if res.status_code >= 400:
            raise error_of(res.status_code, res.text, res.headers, self.address)
        return res


class AsyncCommands:
    def __init__(self, transport: _AsyncTransport) -> None:
        self._t = transport

    async def run(self, command: str, timeout: Optional[float] = 60, *, stdin: Optional[str] = None, env: Optional[dict[str, str]] = None, cwd: Optional[str] = None) -> ExecutionResult:
        budget = Budget.of(timeout)
        res = await self._t.call("POST", "/execute", json=execute_body(command, budget, stdin, env, cwd), timeout=budget.client, router_timeout=budget.router)
        body = res.json()
        if body.get("timed_out"):
            raise CommandTimeoutError(f'command "{command}" was killed after {budget.server} s', body.get("stdout", ""), body.get("stderr", ""))
        return ExecutionResult(body["stdout"], body["stderr"], body["exit_code"])

    async def stream(self, command: str, timeout: Optional[float] = 60, *, stdin: Optional[str] = None, env: Optional[dict[str, str]] = None, cwd: Optional[str] = None) -> AsyncIterator[OutputEvent]:
        budget = Budget.of(timeout)
        url, headers = await self._t._request("POST", "/execute/stream", budget.client, budget.router)
        out = {"stdout": "", "stderr": ""}
        try:
            async with self._t.http.stream("POST", url, headers=headers, json=execute_body(command, budget, stdin, env, cwd), timeout=budget.client) as res:
                if res.status_code >= 400:
                    text = (await res.aread()).decode("utf-8", errors="replace")
                    raise error_of(res.status_code, text, res.headers, self._t.address)
                pending: list[str] = []
                async for line in res.aiter_lines():
                    pending.append(line)
                    # httpx 0.23 keeps the line ending; later versions drop it.
                    if line.rstrip("\r\n") != "":
                        continue
                    for event, data in server_sent_events(pending):
                        payload = json.loads(data)
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
                    pending = []
        except httpx.TimeoutException:
            raise CommandTimeoutError(f'command "{command}": no answer in {budget.client:g} s') from None
        raise SandboxError(f'command "{command}": the event stream ended without an exit event')


class AsyncFiles:
    def __init__(self, transport: _AsyncTransport) -> None:
        self._t = transport

    async def write(self, path: str, content: Union[bytes, str], timeout: float = 300) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        await self._t.call("POST", "/upload", files={"file": (path, data)}, timeout=timeout)

    async def read(self, path: str, timeout: float = 300) -> bytes:
        return (await self._t.call("GET", path_url("download", path), timeout=timeout)).content

    async def list(self, path: str = "", timeout: float = 60) -> list[FileEntry]:
        return file_entries((await self._t.call("GET", path_url("list", path), timeout=timeout)).json())

    async def exists(self, path: str, timeout: float = 60) -> bool:
        return bool((await self._t.call("GET", path_url("exists", path), timeout=timeout)).json()["exists"])


class AsyncSandbox:
    """A claimed sandbox for asyncio. ``async with`` terminates it at the end of the block."""

    def __init__(self, claim_name: str, address: SandboxAddress, connection: Connection, token: Callable[[], Optional[str]], on_terminate: Callable[[], Any]) -> None:
        self.claim_name = claim_name
        self.sandbox_name = address.sandbox_name
        self.namespace = address.namespace
        self.pod_ips = list(address.pod_ips)
        self._http = httpx.AsyncClient()
        transport = _AsyncTransport(connection, address, token, self._http)
        self.commands = AsyncCommands(transport)
        self.files = AsyncFiles(transport)
        self._on_terminate = on_terminate
        self._terminated = False

    async def terminate(self) -> None:
        if self._terminated:
            return
        self._terminated = True
        try:
            await self._on_terminate()
        finally:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncSandbox":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.terminate()


class AsyncSandboxClient:
    """The asyncio SandboxClient: same verbs, awaited; ``async with`` terminates what it created."""

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
        self._active: dict[str, AsyncSandbox] = {}

    async def create_sandbox(
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
    ) -> AsyncSandbox:
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
        created = await asyncio.to_thread(self._claims.create, body)
        try:
            ready = await asyncio.to_thread(self._claims.wait_for_ready, created, sandbox_ready_timeout)
            return self._attach(ready)
        except BaseException:
            try:
                await asyncio.to_thread(self._claims.delete, namespace, name)
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
            raise

    async def get_sandbox(self, claim_name: str, namespace: Optional[str] = None) -> AsyncSandbox:
        claim = await asyncio.to_thread(self._claims.get, namespace or self.namespace, claim_name)
        check_ready(claim)
        return self._attach(claim)

    def list_active_sandboxes(self) -> list[AsyncSandbox]:
        return list(self._active.values())

    async def list_all_sandboxes(self, namespace: Optional[str] = None) -> list[ClaimInfo]:
        return [claim_info(c) for c in await asyncio.to_thread(self._claims.list, namespace or self.namespace)]

    async def delete_sandbox(self, claim_name: str, namespace: Optional[str] = None) -> None:
        namespace = namespace or self.namespace
        self._active.pop(f"{namespace}/{claim_name}", None)
        await asyncio.to_thread(self._claims.delete, namespace, claim_name)

    async def delete_all(self) -> None:
        await asyncio.gather(*(s.terminate() for s in list(self._active.values())))

    async def close(self) -> None:
        try:
            await self.delete_all()
        finally:
            self.api_client.close()

    async def __aenter__(self) -> "AsyncSandboxClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _attach(self, claim: dict[str, Any]) -> AsyncSandbox:
        if self.connection is None:
            raise SandboxError("no connection configured: pass SandboxRouterConnection(url) or set AGENT_SANDBOX_ROUTER_URL")
        address = address_of(claim)
        name = claim["metadata"]["name"]
        key = f"{address.namespace}/{name}"

        async def terminate() -> None:
            self._active.pop(key, None)
            await asyncio.to_thread(self._claims.delete, address.namespace, name)

        token = (lambda: self.connection.token) if isinstance(self.connection, SandboxRouterConnection) and self.connection.token else (lambda: bearer_token(self.api_client))
        sandbox = AsyncSandbox(name, address, self.connection, token, terminate)
        self._active[key] = sandbox
        return sandbox
