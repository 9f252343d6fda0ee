"""kfwizard: a guided, resumable installer for Kubeflow Pipelines on GKE."""

__version__ = "0.1.0"
