"""A live H.264 RTSP camera for tests: GStreamer's RTSP server, TCP and UDP.

Runs under the system Python (/usr/bin/python3), which has the GObject bindings:
    /usr/bin/python3 rtsp_camera.py PORT [--path /cam] [--fps 15] [--size 640x360] [--gop 15]
                                         [--transport tcp|udp|both] [--image PICTURE]
                                         [--user NAME --password WORD [--auth basic|digest]]
With --image, the camera films that picture (a JPEG or PNG: a scene with people in it), live,
instead of GStreamer's moving test pattern. With --clock, each picture carries the moment it
was made: the wall clock in milliseconds (modulo 2**32) as 32 black and white blocks across a
band at its top (`clock_of` reads it back), to measure how old a picture is when it is seen.
With --user, only that user is served: a request without the right credentials is answered
401 Unauthorized, as a camera with a password answers it.
Prints "ready rtsp://127.0.0.1:PORT/cam" once it listens; stops on SIGTERM.
"""

import argparse
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

TRANSPORTS = {
    "tcp": GstRtsp.RTSPLowerTrans.TCP,
    "udp": GstRtsp.RTSPLowerTrans.UDP,
    "both": GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP,
}

# The server asks for one method (the bindings take no combination of the two).
AUTH_METHODS = {"basic": GstRtsp.RTSPAuthMethod.BASIC, "digest": GstRtsp.RTSPAuthMethod.DIGEST}


def require_credentials(
    server: GstRtspServer.RTSPServer,
    factory: GstRtspServer.RTSPMediaFactory,
    user: str,
    password: str,
    method: str,
) -> None:
    """Serve the stream only to `user` with `password`, by basic or digest authentication."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    if method == "basic":
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    else:
        auth.add_digest(user, password, token)
    auth.set_supported_methods(AUTH_METHODS[method])
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("viewer", "media.factory.access", True)
    permissions.add_permission_for_role("viewer", "media.factory.construct", True)
    factory.set_permissions(permissions)


BAND = 40  # rows of the clock's band
BITS = 32


def clock_picture(width: int, height: int, milliseconds: int) -> bytes:
    """An I420 picture: grey, with `milliseconds` as BITS blocks across its top band."""
    block = width // BITS
    row = bytearray(b"\x80" * width)
    for bit in range(BITS):
        value = 235 if milliseconds >> (BITS - 1 - bit) & 1 else 16
        row[bit * block : (bit + 1) * block] = bytes([value]) * block
    luma = bytes(row) * BAND + b"\x80" * (width * (height - BAND))
    return luma + b"\x80" * (width * height // 2)


def show_clock(media: "GstRtspServer.RTSPMedia", width: int, height: int, fps: int) -> None:
    """Feed the shared media's source with clock pictures at `fps`: the source asks for the
    next one as soon as it has room, so each waits for its moment (in the source's own thread)."""
    source = media.get_element().get_by_name("clock")
    due = [time.monotonic()]

    def feed(appsrc: "Gst.Element", _length: int) -> None:
        due[0] = max(due[0] + 1 / fps, time.monotonic() - 1 / fps)
        time.sleep(max(0.0, due[0] - time.monotonic()))
        now = int(time.time() * 1000) % (1 << BITS)
        appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(clock_picture(width, height, now)))

    source.connect("need-data", feed)


def serve_file(
    server: "GstRtspServer.RTSPServer", path: str, location: str, mounts: int, protocols: int
) -> None:
    """Serve an H.264 MP4 without encoding it again, as `mounts` cameras (PATH1..PATHn, each
    its own stream): what many cameras cost a recorder, with nothing spent on making them."""
    for number in range(1, mounts + 1):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            f"( filesrc location={location} ! qtdemux ! h264parse config-interval=-1 ! "
            f"rtph264pay name=pay0 pt=96 config-interval=1 )"
        )
        factory.set_shared(True)
        factory.set_protocols(protocols)
        server.get_mount_points().add_factory(f"{path}{number}", factory)
    if server.attach(None) == 0:
        sys.exit("cannot listen")
    print(f"ready rtsp://127.0.0.1:{server.get_service()}{path}1..{mounts}", flush=True)
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    GLib.timeout_add(200, lambda: True)  # let Python's signal handlers run
    loop.run()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--gop", type=int, default=15, help="frames between keyframes")
    parser.add_argument("--transport", choices=sorted(TRANSPORTS), default="both")
    parser.add_argument("--user", help="require this user's credentials")
    parser.add_argument("--password", default="")
    parser.add_argument("--auth", choices=sorted(AUTH_METHODS), default="basic")
    parser.add_argument("--image", help="film this picture instead of the test pattern")
    parser.add_argument("--clock", action="store_true", help="show the wall clock as blocks")
    parser.add_argument("--file", help="send this H.264 MP4 as it is, at its own pace")
    parser.add_argument("--mounts", type=int, default=1, help="serve PATH1..PATHn, each alone")
    args = parser.parse_args()
    width, height = args.size.split("x")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    if args.file:
        serve_file(server, args.path, args.file, args.mounts, TRANSPORTS[args.transport])
        return
    factory = GstRtspServer.RTSPMediaFactory()
    if args.clock:
        scene = (
            f"appsrc name=clock is-live=true format=time do-timestamp=true "
            f"caps=video/x-raw,format=I420,width={width},height={height},framerate={args.fps}/1"
        )
    elif args.image:
        scene = (
            f"filesrc location={args.image} ! decodebin ! videoconvert ! imagefreeze is-live=true"
        )
    else:
        scene = "videotestsrc is-live=true pattern=ball"
    factory.set_launch(
        f"( {scene} ! videoscale ! videoconvert ! "
        f"video/x-raw,format=I420,width={width},height={height},framerate={args.fps}/1 ! "
        f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} ! "
        f"video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
    if args.clock:
        factory.connect(
            "media-configure",
            lambda _f, media: show_clock(media, int(width), int(height), args.fps),
        )
    factory.set_protocols(TRANSPORTS[args.transport])
    if args.user:
        require_credentials(server, factory, args.user, args.password, args.auth)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on port {args.port}")
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    signal.signal(signal.SIGINT, lambda *_: loop.quit())
    # Let Python's signal handlers run while the GLib loop waits.
    GLib.timeout_add(200, lambda: True)
    print(f"ready rtsp://127.0.0.1:{args.port}{args.path}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
