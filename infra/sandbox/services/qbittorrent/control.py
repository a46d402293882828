"""Control routes of the fake qBittorrent, under ``/_sandbox/qbittorrent``.

GET  /torrents          every torrent added, in order, with the URL it was added from
POST /credentials       {"username", "password", "ban_after"?}: new account, ban lifted
POST /expire            end every session (the next call needs a new login)
GET  /stats             {"logins", "failed_logins", "banned", "sessions", "add_calls"}
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from infra.sandbox.services.qbittorrent.state import QbittorrentState


class CredentialsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1)
    password: str
    ban_after: int | None = Field(default=None, ge=1)


def build_router(state: QbittorrentState) -> APIRouter:
    router = APIRouter()

    @router.get("/torrents")
    async def qbittorrent_torrents() -> list[dict[str, Any]]:
        return state.all_torrents()

    @router.post("/credentials")
    async def qbittorrent_credentials(spec: CredentialsSpec) -> dict[str, Any]:
        state.set_credentials(spec.username, spec.password, spec.ban_after)
        return state.stats()

    @router.post("/expire")
    async def qbittorrent_expire() -> dict[str, Any]:
        state.expire_sessions()
        return state.stats()

    @router.get("/stats")
    async def qbittorrent_stats() -> dict[str, Any]:
        return state.stats()

    return router
