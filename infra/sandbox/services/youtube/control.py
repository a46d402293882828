"""Control routes of the fake YouTube, under ``/_sandbox/youtube``.

GET  /config                 {"api_endpoint", "token_uri", "ca_bundle"}
POST /channels               {"client_id", "client_secret", "refresh_token"}: accept them
GET  /state                  calls per method, quota, videos (size, sha256...), sessions
GET  /videos/{id}/content    {"content": base64 of the uploaded bytes}
POST /quota                  {"units_remaining"?, "uploads_remaining"?, "daily_units"?,
                             "daily_uploads"?, "costs"?}: left now / restored at the reset
POST /clock                  {"now": ISO | null}: YouTube's clock (quota day, token expiry)
POST /revoke                 {"refresh_token"?: one, else all}: refresh fails invalid_grant
POST /expire-tokens          every access token is refused from now on (401)
POST /drop-next-chunk        {"after_bytes": K, "drop_resends": true}: the next chunk PUT
                             stores its first K bytes, then its connection is reset without
                             an answer; with drop_resends, so is every chunk PUT of that
                             upload until the client queries the status
POST /fail-next-chunk        {"status": 503, "times": 1}: the next chunk PUTs answer status
POST /videos/{id}/statistics {"views"?, "likes"?, "comments"?, "favorites"?}
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from infra.sandbox.core.clock import iso_ms, parse_iso_ms
from infra.sandbox.services.youtube.state import YouTubeState


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)


class Quota(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units_remaining: int | None = Field(default=None, ge=0)
    uploads_remaining: int | None = Field(default=None, ge=0)
    daily_units: int | None = Field(default=None, ge=0)
    daily_uploads: int | None = Field(default=None, ge=0)
    costs: dict[str, int] | None = None


class Now(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: str | None = None


class Revoke(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str | None = None


class Drop(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_bytes: int = Field(ge=0)
    drop_resends: bool = True


class Fail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: int = Field(default=503, ge=400, le=599)
    times: int = Field(default=1, ge=1)


class Statistics(BaseModel):
    model_config = ConfigDict(extra="forbid")
    views: int | None = Field(default=None, ge=0)
    likes: int | None = Field(default=None, ge=0)
    comments: int | None = Field(default=None, ge=0)
    favorites: int | None = Field(default=None, ge=0)


def build_router(state: YouTubeState, config: dict[str, str | None]) -> APIRouter:
    router = APIRouter()

    @router.get("/config")
    async def get_config() -> dict[str, str | None]:
        return config

    @router.post("/channels")
    async def add_channel(spec: Channel) -> dict[str, str]:
        state.add_client(spec.client_id, spec.client_secret, spec.refresh_token)
        return spec.model_dump()

    @router.get("/state")
    async def describe() -> dict[str, Any]:
        return state.describe()

    @router.get("/videos/{video_id}/content")
    async def content(video_id: str) -> dict[str, str]:
        with state.lock:
            video = state.videos.get(video_id)
            if video is None:
                raise HTTPException(404, f"no video {video_id}")
            return {"content": base64.b64encode(video.content).decode()}

    @router.post("/quota")
    async def quota(spec: Quota) -> dict[str, Any]:
        with state.lock:
            state.roll_quota_day()
            if spec.daily_units is not None:
                state.daily_units = spec.daily_units
            if spec.daily_uploads is not None:
                state.daily_uploads = spec.daily_uploads
            if spec.units_remaining is not None:
                state.units_remaining = spec.units_remaining
            if spec.uploads_remaining is not None:
                state.uploads_remaining = spec.uploads_remaining
            if spec.costs is not None:
                state.costs.update(spec.costs)
            return state.quota()

    @router.post("/clock")
    async def clock(spec: Now) -> dict[str, Any]:
        try:
            state.clock.set(parse_iso_ms(spec.now) if spec.now else None)
        except ValueError as exc:
            raise HTTPException(400, f"invalid now: {exc}") from exc
        return {"now": iso_ms(state.clock.now_ms()), "quota": state.quota()}

    @router.post("/revoke")
    async def revoke(spec: Revoke) -> dict[str, list[str]]:
        revoked = state.revoke(spec.refresh_token)
        if spec.refresh_token is not None and not revoked:
            raise HTTPException(404, "no such refresh token")
        return {"revoked": revoked}

    @router.post("/expire-tokens")
    async def expire() -> dict[str, int]:
        return {"expired": state.expire_access_tokens()}

    @router.post("/drop-next-chunk")
    async def drop(spec: Drop) -> dict[str, bool]:
        state.arm_drop(spec.after_bytes, spec.drop_resends)
        return {"ok": True}

    @router.post("/fail-next-chunk")
    async def fail(spec: Fail) -> dict[str, bool]:
        state.arm_failure(spec.status, spec.times)
        return {"ok": True}

    @router.post("/videos/{video_id}/statistics")
    async def statistics(video_id: str, spec: Statistics) -> dict[str, str]:
        values = {k: v for k, v in spec.model_dump().items() if v is not None}
        try:
            return state.set_statistics(video_id, values)
        except KeyError:
            raise HTTPException(404, f"no video {video_id}") from None

    return router
