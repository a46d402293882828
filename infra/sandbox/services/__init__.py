"""The fake outside services, one folder each; ``infra.sandbox.core.service`` finds them."""
