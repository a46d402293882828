"""Camera images: a web portal's streams downloaded through a browser, kept,
cleaned up by age, and watched for freshness.

The names other modules of the package (and tests) refer to by value.
"""

PORTAL_BLOCK = "camera-portal"
DOWNLOAD_DEPLOYMENT = "camera-download/every-10-minutes"
