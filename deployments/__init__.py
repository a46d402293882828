"""What prefect.yaml cannot say: bootstrap of work pool, blocks and app database."""
