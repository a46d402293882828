"""Bodies of the portal's control API, checked on the way in so a typo is a 400, not a
test that silently sees other frames than it meant to."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from infra.sandbox.core.clock import Clock
from infra.sandbox.services.camera.model import (
    CameraPortal,
    CameraStream,
    Kind,
    parse_frame_time,
    parse_time,
)

DEFAULT_IMAGE_SIZE = (320, 240)
_STREAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
ImageSide = Annotated[int, Field(ge=8, le=4096)]


def _valid_time(value: str) -> str:
    parse_time(value)
    return value


#: A time in a control body, checked on the way in so a typo is a 400, not a silent miss.
TimeText = Annotated[str, AfterValidator(_valid_time)]


class StreamSpec(BaseModel):
    """One stream of ``POST /_sandbox/camera/portal``."""

    model_config = ConfigDict(extra="forbid")

    interval_seconds: int = Field(default=600, ge=1)
    window: int = Field(default=12, ge=1, le=10_000, description="newest frames listed")
    kinds: dict[str, Kind] = Field(
        default_factory=dict, description="ISO time or epoch seconds -> kind"
    )
    frozen_from: TimeText | None = Field(
        default=None, description="frames at or after this time are frozen unless in kinds"
    )

    @field_validator("kinds")
    @classmethod
    def _kind_times(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            parse_frame_time(key)
        return value

    @model_validator(mode="after")
    def _kinds_on_frames(self) -> StreamSpec:
        # A kind at a time that is no frame would never apply: surely a typo in the test.
        for key in self.kinds:
            if parse_frame_time(key) % self.interval_seconds:
                raise ValueError(
                    f"kinds time {key!r} is not a multiple of interval_seconds "
                    f"({self.interval_seconds}), so it is no frame"
                )
        return self


class PortalSpec(BaseModel):
    """Body of ``POST /_sandbox/camera/portal``."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    streams: dict[str, StreamSpec]
    now: TimeText | None = Field(default=None, description="fixed portal clock; null = wall clock")
    image_size: tuple[ImageSide, ImageSide] = DEFAULT_IMAGE_SIZE

    @field_validator("streams")
    @classmethod
    def _stream_names(cls, value: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        for name in value:
            if not _STREAM_NAME.fullmatch(name):
                raise ValueError(
                    f"stream name {name!r} must be 1-64 of A-Z a-z 0-9 _ . - (it is a URL part)"
                )
        return value


class ClockSpec(BaseModel):
    """Body of ``POST /_sandbox/camera/clock``."""

    model_config = ConfigDict(extra="forbid")

    now: TimeText | None


class ExpireSpec(BaseModel):
    """Body of ``POST /_sandbox/camera/expire``."""

    model_config = ConfigDict(extra="forbid")

    after_requests: int = Field(ge=0)


def build_portal(spec: PortalSpec) -> CameraPortal:
    """Turn a validated spec into the stored model (times parsed to epoch seconds)."""
    streams = {
        name: CameraStream(
            name=name,
            interval=s.interval_seconds,
            window=s.window,
            kinds={parse_frame_time(k): v for k, v in s.kinds.items()},
            frozen_from=(
                parse_time(s.frozen_from, round_up=True) if s.frozen_from is not None else None
            ),
        )
        for name, s in spec.streams.items()
    }
    return CameraPortal(
        username=spec.username,
        password=spec.password,
        streams=streams,
        image_size=(spec.image_size[0], spec.image_size[1]),
        clock=Clock(clock_ms(spec.now)),
    )


def clock_ms(now: str | None) -> int | None:
    """The portal clock's setting for a ``now`` of a body (None: the wall clock)."""
    return parse_time(now) * 1000 if now is not None else None
