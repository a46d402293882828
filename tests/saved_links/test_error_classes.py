"""Failures classified by their root cause, whatever yt-dlp wrapped them in."""

from __future__ import annotations

import errno
import io
import sys

import pytest
from yt_dlp.networking import Response
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError

from flows.common.errors import MachineError
from flows.common.outbound import OutboundRefused
from flows.saved_links import errors
from flows.saved_links.download import classify


def wrapped(cause: BaseException) -> DownloadError:
    """What yt-dlp raises: its extractor error around the cause, inside a DownloadError."""
    try:
        try:
            raise cause
        except BaseException as exc:
            raise ExtractorError("Unable to download webpage", cause=exc) from exc
    except ExtractorError:
        return DownloadError("ERROR: [generic] Unable to download webpage", sys.exc_info())


@pytest.mark.parametrize(
    "cause",
    [
        TransportError("read timed out", cause=TimeoutError("timed out")),
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        TimeoutError("The read operation timed out"),
    ],
)
def test_network_errors_inside_an_extractor_error_are_transient(cause):
    found = classify(wrapped(cause))
    assert isinstance(found, errors.NetworkError), found


def test_a_5xx_is_a_server_error_and_a_404_is_gone():
    def http(status: int) -> HTTPError:
        return HTTPError(Response(io.BytesIO(b""), "http://h/x", {}, status=status))

    assert isinstance(classify(wrapped(http(503))), errors.ServerError)
    assert isinstance(classify(wrapped(http(404))), errors.Removed)


@pytest.mark.parametrize(
    ("cause", "where"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "data/links/direct/a.mp4"), "a.mp4"),
        (OSError(errno.EROFS, "Read-only file system"), ""),
        (PermissionError(errno.EACCES, "Permission denied", "data/links/.partial"), ".partial"),
    ],
)
def test_a_full_disk_or_an_unwritable_data_folder_is_the_machines_fault(cause, where):
    found = classify(wrapped(cause))
    assert isinstance(found, MachineError), found
    assert where in str(found)


def test_a_permission_error_of_a_socket_is_not_the_machines_fault():
    assert isinstance(
        classify(wrapped(PermissionError(errno.EACCES, "denied"))), errors.NetworkError
    )


def test_a_link_into_the_network_is_refused_permanently_by_its_rule():
    found = classify(wrapped(OutboundRefused("refused: 127.0.0.1 is a loopback address")))
    assert isinstance(found, errors.Refused) and isinstance(found, errors.PermanentLinkError)
    assert str(found) == "refused: 127.0.0.1 is a loopback address"
