"""Typed errors: every error the SDK raises on purpose is a SandboxError."""

from __future__ import annotations

from typing import Any, Optional


class SandboxError(Exception):
    """Base of the SDK's errors."""


class ClaimRefusedError(SandboxError):
    """The API server refused to create the claim; ``str(err)`` is its message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class SandboxReadyTimeoutError(SandboxError):
    """The claim was not Ready in time; ``last_condition`` is its Ready condition then."""

    def __init__(self, claim: str, last_condition: Optional[dict[str, Any]], timeout: float) -> None:
        detail = (
            f" (Ready={last_condition.get('status')}, {last_condition.get('reason')}: {last_condition.get('message', '')})"
            if last_condition
            else " (no Ready condition yet)"
        )
        super().__init__(f"claim {claim} was not Ready after {timeout:g} s{detail}")
        self.claim = claim
        self.last_condition = last_condition


class ClaimFailedError(SandboxError):
    """The claim reported a final reason (InvalidMetadata, ClaimExpired, ...): waiting will not help."""

    def __init__(self, claim: str, condition: dict[str, Any]) -> None:
        super().__init__(f"claim {claim} failed: {condition.get('reason')}: {condition.get('message', '')}")
        self.claim = claim
        self.condition = condition


class SandboxGoneError(SandboxError):
    """The sandbox (or its claim) no longer exists."""


class CommandTimeoutError(SandboxError):
    """A command was killed at its timeout; what it printed until then is kept."""

    def __init__(self, message: str, stdout: str = "", stderr: str = "") -> None:
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


class RouterError(SandboxError):
    """The sandbox-router refused or failed the request (``{"detail"}``)."""

    def __init__(self, status: int, detail: str, retry_after: Optional[float] = None) -> None:
        super().__init__(f"sandbox-router: {status}: {detail}")
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


class SandboxRuntimeError(SandboxError):
    """The runtime in the sandbox refused the request (``{"message"}``): 403 outside the workspace, 413 too large, ..."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox runtime: {status}: {message}")
        self.status = status


class KubernetesApiError(SandboxError):
    """The Kubernetes API server answered with another error."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
