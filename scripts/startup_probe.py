"""Times galley from exec to its first frame with content, RUNS times, under an X server.

Run by scripts/startup.sh (which starts Xvfb and prepares a home): python-xlib polls the
X server every millisecond, first for a viewable top-level window of the child process,
then for drawn content in it (the settings panel's text: many distinct colours; a mapped
window whose first frame is not yet swapped in is one flat colour). Prints each run, the
median and the max. Usage: startup_probe.py RUNS BINARY [ARGS...]
"""

import statistics
import subprocess
import sys
import time

from Xlib import X, display as xdisplay

# The top-left of the window: the settings panel's heading and first fields.
PROBE = (0, 0, 320, 240)
MIN_COLOURS = 12
TIMEOUT_S = 20.0


def galley_window(dpy):
    for window in dpy.screen().root.query_tree().children:
        try:
            if window.get_wm_name() == "galley" and window.get_attributes().map_state == X.IsViewable:
                return window
        except Exception:  # the window went away between listing and asking
            continue
    return None


def colours(window):
    x, y, w, h = PROBE
    image = window.get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF)
    return len(set(memoryview(image.data).cast("I")))


def one_run(dpy, command):
    start = time.monotonic()
    app = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        shown = None
        while time.monotonic() - start < TIMEOUT_S:
            if app.poll() is not None:
                raise SystemExit(f"galley exited with {app.returncode} before its first frame")
            window = galley_window(dpy)
            if window is not None:
                shown = shown or time.monotonic()
                try:
                    count = colours(window)
                except Exception:
                    count = 0
                if count >= MIN_COLOURS:
                    return (time.monotonic() - start) * 1000, (shown - start) * 1000, count
            time.sleep(0.001)
        raise SystemExit("no frame with content within 20 s")
    finally:
        app.terminate()
        app.wait()


def main():
    runs, command = int(sys.argv[1]), sys.argv[2:]
    dpy = xdisplay.Display()
    times = []
    for run in range(1, runs + 1):
        content_ms, mapped_ms, count = one_run(dpy, command)
        print(f"run {run}: {content_ms:.0f} ms to the first frame with content "
              f"(window mapped at {mapped_ms:.0f} ms; {count} colours in the probe)")
        times.append(content_ms)
    print(f"exec to first frame with content over {runs} runs: "
          f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms ({' '.join(command)})")


if __name__ == "__main__":
    main()
