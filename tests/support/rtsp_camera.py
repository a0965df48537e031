"""A live H.264 RTSP camera for tests: GStreamer's RTSP server, TCP and UDP.

Runs under the system Python (/usr/bin/python3), which has the GObject bindings:
    /usr/bin/python3 rtsp_camera.py PORT [--path /cam] [--fps 15] [--size 640x360] [--gop 15]
                                         [--transport tcp|udp|both] [--image PICTURE]
                                         [--user NAME --password WORD [--auth basic|digest]]
With --image, the camera films that picture (a JPEG or PNG: a scene with people in it), live,
instead of GStreamer's moving test pattern.
With --user, only that user is served: a request without the right credentials is answered
401 Unauthorized, as a camera with a password answers it.
Prints "ready rtsp://127.0.0.1:PORT/cam" once it listens; stops on SIGTERM.
"""

import argparse
import signal
import sys

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
    args = parser.parse_args()
    width, height = args.size.split("x")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    scene = (
        f"filesrc location={args.image} ! decodebin ! videoconvert ! imagefreeze is-live=true"
        if args.image
        else "videotestsrc is-live=true pattern=ball"
    )
    factory.set_launch(
        f"( {scene} ! videoscale ! videoconvert ! "
        f"video/x-raw,format=I420,width={width},height={height},framerate={args.fps}/1 ! "
        f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} ! "
        f"video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
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
