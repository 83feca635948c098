"""The system libraries Qt's X11 platform plugin (xcb) needs, checked before the window starts.

Qt 6 loads its xcb plugin only when every library it links against is on the system; since Qt
6.5 that includes libxcb-cursor, which many desktops lack. Without one, Qt prints a page about
plugins and aborts the process. `missing_libraries_message` finds out first, by loading each
library as the plugin would, and says in one paragraph which packages to install.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping, Sequence

# The libraries PySide6 6.11's libqxcb.so and libQt6XcbQpa.so need beyond the C/C++ runtime
# (from `ldd`), with the package that has each on Debian/Ubuntu, Fedora and Arch.
XCB_LIBRARIES = (
    ("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    ("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    ("libxcb-image.so.0", "libxcb-image0", "xcb-util-image", "xcb-util-image"),
    (
        "libxcb-render-util.so.0",
        "libxcb-render-util0",
        "xcb-util-renderutil",
        "xcb-util-renderutil",
    ),
    ("libxcb-util.so.1", "libxcb-util1", "xcb-util", "xcb-util"),
    ("libxcb-randr.so.0", "libxcb-randr0", "libxcb", "libxcb"),
    ("libxcb-shape.so.0", "libxcb-shape0", "libxcb", "libxcb"),
    ("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb", "libxcb"),
    ("libxcb.so.1", "libxcb1", "libxcb", "libxcb"),
    ("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb", "libx11"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    ("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    ("libGL.so.1", "libgl1", "libglvnd-glx", "libglvnd"),
    ("libEGL.so.1", "libegl1", "libglvnd-egl", "libglvnd"),
    ("libfontconfig.so.1", "libfontconfig1", "fontconfig", "fontconfig"),
    ("libdbus-1.so.3", "libdbus-1-3", "dbus-libs", "dbus"),
)
SYSTEMS = (("sudo apt install", "Debian, Ubuntu"), ("sudo dnf install", "Fedora"))


def uses_xcb(
    env: Mapping[str, str], platform: str = sys.platform, argv: Sequence[str] = ()
) -> bool:
    """True when Qt would open the window through X11 (xcb): on Linux with an X display,
    unless Qt's `-platform` option or QT_QPA_PLATFORM names another platform, or a Wayland
    session is Qt's first choice."""
    if not platform.startswith("linux") or not env.get("DISPLAY"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    for i, word in enumerate(argv):
        if word.startswith("-platform="):
            chosen = word.partition("=")[2]
        elif word == "-platform" and i + 1 < len(argv):
            chosen = argv[i + 1]
    chosen = chosen.split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen == "xcb"
    return not (env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"))


def missing_libraries(load: Callable[[str], object] = ctypes.CDLL) -> list[tuple[str, ...]]:
    """The rows of `XCB_LIBRARIES` whose library `load` (by default the dynamic loader, as
    Qt's plugin loads them) cannot open."""
    missing = []
    for row in XCB_LIBRARIES:
        try:
            load(row[0])
        except OSError:
            missing.append(row)
    return missing


def missing_libraries_message(
    env: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    load: Callable[[str], object] = ctypes.CDLL,
    argv: Sequence[str] = (),
) -> str | None:
    """One paragraph naming the missing libraries and the packages to install, or None when
    the window can start (or does not use xcb); `argv` is the window's Qt options."""
    if not uses_xcb(os.environ if env is None else env, platform, argv):
        return None
    missing = missing_libraries(load)
    if not missing:
        return None
    names = ", ".join(row[0] for row in missing)
    commands = [
        f"{command} {' '.join(dict.fromkeys(row[column] for row in missing))} ({systems})"
        for column, (command, systems) in enumerate(SYSTEMS, start=1)
    ]
    arch = " ".join(dict.fromkeys(row[3] for row in missing))
    commands.append(f"sudo pacman -S {arch} (Arch)")
    return (
        f"The window cannot open: Qt's X11 plugin needs {names}, which this system lacks. "
        f"Install {'it' if len(missing) == 1 else 'them'} with {'; or '.join(commands)}, "
        "then start Descent again. The headless commands work without them "
        "(python main.py help)."
    )
