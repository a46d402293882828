import pytest

from flows.saved_links.errors import InvalidURL
from flows.saved_links.platforms import Platform, classify


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", Platform.YOUTUBE),
        ("https://youtu.be/dQw4w9WgXcQ", Platform.YOUTUBE),
        ("https://m.youtube.com/shorts/abc", Platform.YOUTUBE),
        ("https://www.tiktok.com/@user/video/123", Platform.TIKTOK),
        ("https://www.instagram.com/reel/Cabc/", Platform.INSTAGRAM),
        ("https://x.com/user/status/1", Platform.X),
        ("https://twitter.com/user/status/1", Platform.X),
        ("https://old.reddit.com/r/videos/comments/abc/", Platform.REDDIT),
        ("https://v.redd.it/abc", Platform.REDDIT),
        ("https://cdn.example.org/clips/a.MP4?sig=1", Platform.DIRECT),
        ("http://127.0.0.1:8000/media/files/a.jpg", Platform.DIRECT),
        ("https://vimeo.com/123", Platform.GENERIC),
        ("https://notyoutube.com/watch", Platform.GENERIC),
        ("  https://example.org/page  ", Platform.GENERIC),
    ],
)
def test_links_go_to_the_processor_of_their_platform(url, platform):
    assert classify(url) == platform


@pytest.mark.parametrize(
    "url",
    ["", "   ", "youtube.com/watch?v=1", "ftp://host/file.mp4", "javascript:alert(1)", "http://"],
)
def test_links_that_are_not_http_are_invalid_and_named(url):
    with pytest.raises(InvalidURL) as err:
        classify(url)
    assert repr(url.strip()[:200]) in str(err.value)
