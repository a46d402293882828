"""Pieces every workflow shares: the data directory and the app database."""
