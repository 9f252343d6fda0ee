"""Google Cloud side: credentials, Service Usage, GKE, kubeconfig, sizing and cost."""
