"""`custos redact`: mask faces (and plates, people) in a video or a picture file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from custos.cli.common import err, out, state
from custos.redaction import choices
from custos.redaction.choices import Shape, Style


def redact_command(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="Video (any FFmpeg reads) or JPEG/PNG picture.")],
    target: Annotated[Path, typer.Argument(help="Output: .mp4/.mkv/.mov/.m4v, or .jpg/.png.")],
    faces: Annotated[bool, typer.Option("--faces/--no-faces", help="Mask faces.")] = True,
    plates: Annotated[bool, typer.Option("--plates", help="Mask licence plates.")] = False,
    people: Annotated[bool, typer.Option("--people", help="Mask whole people.")] = False,
    detector: Annotated[
        list[Path] | None,
        typer.Option(help="A user ONNX detector's TOML description; repeat for several."),
    ] = None,
    style: Annotated[Style, typer.Option(help="How masked regions look.")] = Style.BLUR,
    shape: Annotated[Shape, typer.Option(help="auto: ellipse for faces, box otherwise.")] = (
        Shape.AUTO
    ),
    margin: Annotated[
        float, typer.Option(min=0, max=2, help="Added on each side, as a fraction of the box.")
    ] = choices.MARGIN,
    threshold: Annotated[
        float, typer.Option(min=0.05, max=0.95, help="Face detector confidence threshold.")
    ] = choices.FACE_THRESHOLD,
    detect_every: Annotated[
        int, typer.Option(min=1, max=25, help="Video: detect on every N-th frame, track between.")
    ] = choices.DETECT_EVERY,
    detect_size: Annotated[
        int, typer.Option(min=160, max=7680, help="Video: longer side of the detection picture.")
    ] = choices.DETECT_SIZE,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep/--no-sweep",
            help="Video over twice --detect-size: also search tiles in turn for small faces.",
        ),
    ] = choices.SWEEP,
    reveal: Annotated[
        list[int] | None,
        typer.Option(help="Track id to leave visible (repeat); needs --reason."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why the revealed tracks are visible.")] = None,
    labels: Annotated[
        bool, typer.Option("--labels", help="Write each track's id beside its mask.")
    ] = False,
) -> None:
    """Mask faces (and plates, people) in a video or picture; writes OUT and OUT.redaction.json.

    A picture or video larger than the settings `media_max_side` and `media_max_megapixels`
    allow is refused before it is decoded.
    """
    from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

    from custos.redaction.detectors import FACE, PERSON, PLATE, OnnxDetector
    from custos.redaction.inputs import Limits
    from custos.redaction.pipeline import Options, redact_file
    from custos.redaction.render import Look

    settings = state(ctx).settings

    kinds = {kind for kind, wanted in ((FACE, faces), (PLATE, plates), (PERSON, people)) if wanted}
    options = Options(
        kinds=frozenset(kinds),
        look=Look(style, shape, margin),
        detect_every=detect_every,
        detect_size=detect_size,
        sweep=sweep,
        face_threshold=threshold,
        reveal=frozenset(reveal or ()),
        reveal_reason=reason,
        labels=labels,
        extra_detectors=tuple(OnnxDetector.from_file(path) for path in detector or ()),
        limits=Limits(settings.media_max_side, settings.media_max_pixels),
    )
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeRemainingColumn())
    # Only on a terminal: elsewhere a transient bar still leaves a blank line before errors.
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(f"redacting {source.name}", total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        result = redact_file(source, target, options, advance)
    if result.damage:
        err.print(
            f"warning: {escape(source.name)} is damaged ({escape(result.damage)}): "
            "what decoded of it was redacted"
        )
    if result.declared_frames and result.frames < result.declared_frames:
        err.print(
            f"warning: {source.name} declares {result.declared_frames} frames but "
            f"{result.frames} decoded: it may be cut short or damaged"
        )
    hidden = sum(1 for record in result.tracks.values() if not record.visible)
    out.print(
        f"{target}: {result.frames} frame{'s' if result.frames != 1 else ''}, "
        f"{hidden} track{'s' if hidden != 1 else ''} masked"
        + (f", tracks {', '.join(map(str, sorted(options.reveal)))} visible" if reveal else "")
    )
    out.print(f"record: {target.with_name(target.name + '.redaction.json')}")
