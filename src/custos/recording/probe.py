"""Trying a camera source before it is registered: does it deliver a picture, and of what kind.

A probe opens the source as a recorder would (RTSP over TCP, then over UDP), reads until the
first decoded picture and reports its codec, size and frame rate; or, when the source fails,
the plain reason a recorder's gap would give and the technical detail. It keeps to its time
budget across transports, so an operator waits a few seconds at most; it
stores nothing and touches no database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from custos.errors import SourceUnusable
from custos.recording.media import open_source
from custos.recording.policy import GapReason, source_advice, transports_for
from custos.recording.recorder import SOURCE_ERRORS, source_reason

DEFAULT_TIMEOUT = 5.0

# Failures another transport cannot mend: RTSP over UDP still speaks RTSP over TCP first.
_FINAL = frozenset(
    {
        GapReason.HOST_UNREACHABLE,
        GapReason.HOST_NOT_FOUND,
        GapReason.CONNECTION_REFUSED,
        GapReason.AUTHENTICATION_FAILED,
        GapReason.STREAM_NOT_FOUND,
    }
)

# A camera answering 5XX is busy (often setting up the stream another client just left): again.
_BUSY = "HTTPServerError:"


@dataclass(frozen=True)
class Probe:
    """What trying a source found: a picture's codec, size and rate, or why there was none."""

    codec: str = ""
    width: int = 0
    height: int = 0
    fps: float | None = None
    transport: str | None = None
    reason: GapReason | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Whether the source delivered a picture."""
        return self.reason is None

    def summary(self) -> str:
        """One line an operator reads: what the camera sends, or what is wrong with it."""
        if self.reason is not None:
            advice = source_advice(self.reason)
            return f"{self.reason}: {advice}" if advice else str(self.reason)
        rate = f" at {self.fps:g} fps" if self.fps else ""
        over = f" over {self.transport.upper()}" if self.transport else ""
        return f"{self.codec} {self.width}x{self.height}{rate}{over}"

    def refusal(self) -> SourceUnusable:
        """The error that refuses to register a camera with this source."""
        return SourceUnusable(
            f"the source cannot be recorded: {self.summary()} ({self.detail})",
            field="source_url",
        )


def probe_source(url: str, timeout: float = DEFAULT_TIMEOUT) -> Probe:
    """Open `url`, read until its first video picture, and say what it is; within `timeout` s."""
    deadline = time.monotonic() + timeout
    failure: Probe | None = None
    for transport in transports_for(url):
        while True:
            left = deadline - time.monotonic()
            if failure is not None and left < 0.5:
                return failure
            failure = _try(url, transport, max(left, 0.5), deadline)
            if failure.ok or failure.reason in _FINAL:
                return failure
            if not failure.detail.startswith(_BUSY):
                break
            time.sleep(0.25)  # a server error passes: GStreamer's just after a refused TCP set-up
    assert failure is not None
    return failure


def _try(url: str, transport: str | None, left: float, deadline: float) -> Probe:
    connected = False
    try:
        with open_source(url, transport, left, left) as container:
            connected = True
            if not container.streams.video:
                return Probe(
                    reason=GapReason.NOT_A_VIDEO_STREAM,
                    detail="the source has no video stream",
                    transport=transport,
                )
            video = container.streams.video[0]
            for packet in container.demux(video):
                for frame in packet.decode():
                    rate = video.average_rate or video.guessed_rate
                    return Probe(
                        codec=video.codec_context.name,
                        width=frame.width,
                        height=frame.height,
                        fps=round(float(rate), 2) if rate else None,
                        transport=transport,
                    )
                if time.monotonic() > deadline:
                    return Probe(
                        reason=GapReason.NOT_A_VIDEO_STREAM,
                        detail="no picture could be decoded in the time allowed",
                        transport=transport,
                    )
            return Probe(
                reason=GapReason.STREAM_ENDED,
                detail="the source ended before its first picture",
                transport=transport,
            )
    except SOURCE_ERRORS as error:
        reason, detail = source_reason(error, connected=connected)
        return Probe(reason=reason, detail=detail, transport=transport)
