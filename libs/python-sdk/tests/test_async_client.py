"""The asyncio client against the real API server, router and runtime."""

from __future__ import annotations

import asyncio
import os

import pytest

from k8s_agent_sandbox import AsyncSandboxClient, ClaimFailedError, CommandTimeoutError, SandboxRouterConnection

from .conftest import Env, claim_exists


def test_async_create_run_files_stream_and_gone_after_the_block(env: Env, admin):
    async def scenario() -> str:
        async with AsyncSandboxClient(SandboxRouterConnection(env.router_url, port=env.runtime_port), kubeconfig=env.kubeconfig) as client:
            async with await client.create_sandbox("python") as sandbox:
                assert (await sandbox.commands.run("python3 -c 'print(6*7)'")).stdout == "42\n"
                content = os.urandom(256 * 1024)
                await sandbox.files.write("a/b.bin", content)
                assert await sandbox.files.read("a/b.bin") == content
                assert [f.name for f in await sandbox.files.list("a")] == ["b.bin"]
                assert await sandbox.files.exists("a/b.bin")
                events = [e async for e in sandbox.commands.stream("sh -c 'echo one; echo two >&2; exit 3'")]
                # stdout and stderr are two pipes: their relative order is not defined.
                assert sorted((e.type, e.data) for e in events if e.type != "exit") == [("stderr", "two\n"), ("stdout", "one\n")]
                assert events[-1].type == "exit" and events[-1].exit_code == 3
                with pytest.raises(CommandTimeoutError):
                    await sandbox.commands.run("sleep 30", timeout=1)
                # Two commands at once from one client.
                both = await asyncio.gather(sandbox.commands.run("echo x"), sandbox.commands.run("echo y"))
                assert [r.stdout for r in both] == ["x\n", "y\n"]
                return sandbox.claim_name

    name = asyncio.run(scenario())
    assert not claim_exists(admin, env.namespace, name)


def test_async_final_reason(env: Env, admin):
    async def scenario() -> ClaimFailedError:
        async with AsyncSandboxClient(SandboxRouterConnection(env.router_url), kubeconfig=env.kubeconfig) as client:
            try:
                await client.create_sandbox("invalid")
            except ClaimFailedError as err:
                return err
            raise AssertionError("no ClaimFailedError")

    err = asyncio.run(scenario())
    assert err.condition["reason"] == "InvalidMetadata"
    assert not claim_exists(admin, env.namespace, err.claim)
