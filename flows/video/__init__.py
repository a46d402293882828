"""Faceless video: a topic becomes a script (an LLM), a narration (espeak-ng, per
sentence), a render (one ffmpeg graph with burned-in subtitles), a thumbnail (Pillow)
and a YouTube upload that resumes instead of starting twice; a daily run reads the
uploaded videos' statistics.

The names other modules of the package (and tests) refer to by value.
"""

LLM_BLOCK = "llm-endpoint"
YOUTUBE_BLOCK = "youtube-channel"
# The asset library is a folder of this host: Prefect's own LocalFileSystem block.
ASSETS_BLOCK = "video-assets"

ON_DEMAND_DEPLOYMENT = "create-video/on-demand"
RECURRING_DEPLOYMENT = "create-video/recurring"
ANALYTICS_DEPLOYMENT = "youtube-analytics/daily"

# The global concurrency limit both create-video deployments share: renders are
# CPU-bound, two at once is what a small host takes.
CREATE_LIMIT = "create-video"
CREATE_LIMIT_SLOTS = 2

# Output sizes by format: shorts are portrait.
FORMATS: dict[str, tuple[int, int]] = {"short": (1080, 1920), "landscape": (1920, 1080)}

# The stages of one job, in order; `video_stage_runs.stage` takes these values
# ("upload" is videos.insert, "thumbnail_set" the thumbnail's upload).
STAGES = (
    "script",
    "assets",
    "voice",
    "render",
    "thumbnail",
    "metadata",
    "upload",
    "thumbnail_set",
)
