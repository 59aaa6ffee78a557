"""Kubernetes client configuration: kubeconfig (or in-cluster), its namespace and bearer token."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

_SA_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def load_api_client(kubeconfig: Optional[str] = None, context: Optional[str] = None) -> tuple[k8s.ApiClient, str]:
    """An ApiClient from `kubeconfig` (default: $KUBECONFIG, ~/.kube/config), else in-cluster; and its default namespace."""
    configuration = k8s.Configuration()
    try:
        k8s_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
        _, active = k8s_config.list_kube_config_contexts(config_file=kubeconfig)
        chosen = active
        if context:
            contexts, _ = k8s_config.list_kube_config_contexts(config_file=kubeconfig)
            chosen = next((c for c in contexts if c.get("name") == context), active)
        namespace = ((chosen or {}).get("context") or {}).get("namespace") or "default"
    except (ConfigException, FileNotFoundError, TypeError):
        if kubeconfig:
            raise
        k8s_config.load_incluster_config(client_configuration=configuration)
        namespace = _SA_NAMESPACE.read_text().strip() if _SA_NAMESPACE.exists() else "default"
    return k8s.ApiClient(configuration), namespace


def bearer_token(api_client: k8s.ApiClient) -> Optional[str]:
    """The bearer token the client authenticates with (refreshed when the config can), if it uses one."""
    configuration = api_client.configuration
    hook = getattr(configuration, "refresh_api_key_hook", None)
    if hook is not None:
        hook(configuration)
    value = configuration.api_key.get("authorization") or configuration.api_key.get("BearerToken")
    if not value:
        return None
    return value[len("Bearer "):].strip() if value.startswith("Bearer ") else value.strip()
