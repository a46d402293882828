"""The control plane's own health: database, disk, camera freshness, deployments."""
