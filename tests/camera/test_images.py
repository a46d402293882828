"""Which fetched frames are kept, and where a kept one lives."""

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from flows.camera.images import ImageRejected, check_image, image_path


def picture(fmt: str = "JPEG", size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 50).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


def test_a_whole_jpeg_is_kept_with_its_size_and_hash():
    data = picture()
    checked = check_image(data, "image/jpeg")
    assert (checked.width, checked.height, checked.ext) == (64, 48, "jpg")
    assert len(checked.sha256) == 64 and checked.data == data


def test_a_png_keeps_its_own_extension():
    assert check_image(picture("PNG"), "image/png").ext == "png"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "image/jpeg", "empty"),
        (b"<html><body>Session error</body></html>", "text/html; charset=utf-8", "not_an_image"),
        (b"<html><body>Session error</body></html>", "image/jpeg", "not_an_image"),
        (None, "image/jpeg", "corrupt"),  # a JPEG cut in half
    ],
)
def test_frames_that_are_not_whole_pictures_are_refused_with_a_reason(body, content_type, reason):
    if body is None:
        whole = picture(size=(320, 240))
        body = whole[: len(whole) // 2]
    with pytest.raises(ImageRejected) as refused:
        check_image(body, content_type)
    assert refused.value.reason == reason
    assert refused.value.detail


def test_kept_files_are_filed_by_utc_day_and_time():
    berlin = timezone(timedelta(hours=1))
    at = datetime(2026, 11, 27, 0, 30, tzinfo=berlin)  # 23:30 UTC the day before
    assert image_path("in_gate", at, "jpg") == "images/in_gate/2026/11/26/20261126T233000Z.jpg"
