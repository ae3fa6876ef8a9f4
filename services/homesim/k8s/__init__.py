"""homesim on Kubernetes: the objects a Device owns (``manifests``) and the operator that keeps
them (``device_operator``, run with ``kopf run -m homesim.k8s.device_operator``)."""
import os


def load_client_config() -> None:
    """Configure the Kubernetes client: the pod's service account in a cluster, else ``$KUBECONFIG``
    (read now: the client reads it only once, when imported)."""
    from kubernetes import config

    try:
        config.load_incluster_config()
    except config.ConfigException:
        config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))
