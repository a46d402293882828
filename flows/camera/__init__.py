"""Camera images from a web portal: download, retention cleanup."""
