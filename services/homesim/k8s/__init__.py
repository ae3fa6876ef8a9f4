"""homesim on Kubernetes: the objects a Device owns (``manifests``) and the operator that keeps
them (``device_operator``, run with ``kopf run -m homesim.k8s.device_operator``)."""
