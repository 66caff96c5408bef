"""Browser tests of the "Draw a digit" page (docs/draw.md, docs/_static/draw.js).

The page runs the network its build trained, stored in 8 bits. These tests
check, in headless Chromium, that its JavaScript forward pass reads the 10,000
test digits exactly as the build measured, and that digits drawn with pointer
strokes (mouse at desktop width, touch at phone width) are preprocessed like
MNIST's and read correctly.
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
import pytest
from test_site import SHOTS, SITE, PageVisit

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Strokes of three digits, in fractions of the drawing pad's width and height.
DIGITS = {
    1: [[(0.53, 0.14), (0.50, 0.50), (0.47, 0.86)]],
    0: [[(0.5 + 0.22 * math.sin(t), 0.5 - 0.33 * math.cos(t))
         for t in np.linspace(0, 2 * math.pi, 41)]],
    7: [[(0.26, 0.2), (0.74, 0.2), (0.56, 0.52), (0.42, 0.86)]],
}


def payload() -> dict:
    html = (SITE / "draw.html").read_text()
    found = re.search(r'<script type="application/json" id="mnistbook-network">(.*?)</script>', html, re.S)
    assert found, "draw.html has no network payload"
    return json.loads(found.group(1))


def open_draw(browser, site_url, viewport, dark=False) -> PageVisit:
    # size and colour scheme from the start: a reload would cut the first load's
    # favicon request short, which the visit records as a failed request
    visit = PageVisit(browser, f"{site_url}/draw.html", width=viewport["width"],
                      height=viewport["height"], color_scheme="dark" if dark else "light")
    visit.page.wait_for_function("() => window.mnistbookDemo !== undefined")
    return visit


def stroke_width(grids):
    """The page's estimate of line width: ink area over half the outline length."""
    dy, dx = np.gradient(grids, axis=(-2, -1))
    return 2 * grids.sum(axis=(-2, -1)) / np.hypot(dx, dy).sum(axis=(-2, -1))


def numpy_network(data: dict):
    """The page's weights decoded in Python: w = q * scale, float64."""
    layers = []
    for layer in data["layers"]:
        q = np.frombuffer(base64.b64decode(layer["w"]), dtype=np.int8).reshape(layer["nout"], layer["nin"])
        layers.append((q * np.array(layer["scale"])[:, None], np.array(layer["b"]), layer["activation"]))
    return layers


def test_classify_reads_the_test_set_as_the_build_measured(browser, site_url):
    from mnistbook import load_dataset, softmax

    data = load_dataset()
    built = payload()
    visit = open_draw(browser, site_url, DESKTOP)
    page = visit.page
    try:
        text = page.locator("article").inner_text()
        # the accuracy the page quotes is the one its build measured for this network
        quoted = f"{built['test_correct'] / built['test_total']:.2%}"
        assert f"{built['test_correct']:,} of 10,000" in text and quoted in text
        predicted = []
        for start in range(0, len(data.test_images), 1000):
            # one JSON string is much faster to hand over than nested lists; the
            # floats survive exactly (repr round-trips)
            chunk = json.dumps(data.test_images[start:start + 1000].tolist())
            result = page.evaluate("(text) => JSON.parse(text).map((x) => mnistbookDemo.classify(x))", chunk)
            if start == 0:
                first_probabilities = result[:5]
            predicted.extend(int(np.argmax(p)) for p in result)
        correct = int(np.count_nonzero(np.array(predicted) == data.test_labels))
        assert correct == built["test_correct"], (correct, built["test_correct"])

        # the same products and softmax as Python's, to rounding
        (w1, b1, act1), (w2, b2, act2) = numpy_network(built)
        assert (act1, act2) == ("relu", "softmax")
        expected = softmax(np.maximum(data.test_images[:5] @ w1.T + b1, 0) @ w2.T + b2)
        np.testing.assert_allclose(first_probabilities, expected, rtol=0, atol=1e-12)
        with pytest.raises(Exception, match="expected 784 pixels"):
            page.evaluate("() => mnistbookDemo.classify([0, 1])")
        assert page.evaluate("() => mnistbookDemo.current()") is None
        assert visit.outside == [] and visit.failed == [], (visit.outside, visit.failed)
        assert visit.errors == [], visit.errors
    finally:
        visit.close()


def draw(visit: PageVisit, strokes, touch: bool) -> None:
    page = visit.page
    pad = page.locator("#mb-draw-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    cdp = visit.context.new_cdp_session(page) if touch else None
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        # finer steps between the given points, as a hand moves
        path = [points[0]] + [
            (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            for (x0, y0), (x1, y1) in zip(points, points[1:])
            for t in np.linspace(0, 1, 5)[1:]
        ]
        if touch:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": path[0][0], "y": path[0][1]}]})
            for x, y in path[1:]:
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        else:
            page.mouse.move(*path[0])
            page.mouse.down()
            for x, y in path[1:]:
                page.mouse.move(x, y)
            page.mouse.up()
    if cdp is not None:
        cdp.detach()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px-mouse-light", "390px-touch-dark"])
def test_drawn_digits_are_read(browser, site_url, viewport):
    from mnistbook import load_dataset

    mnist_width = float(np.median(stroke_width(load_dataset().test_images[:2000].reshape(-1, 28, 28))))
    built = payload()
    touch = dark = viewport == PHONE
    visit = open_draw(browser, site_url, viewport, dark=dark)
    page = visit.page
    try:
        # the pad's ink follows the theme: light on dark, dark on light
        ink = page.evaluate("() => getComputedStyle(document.getElementById('mb-draw-pad')).color")
        assert page.evaluate("() => document.documentElement.dataset.theme") == ("dark" if dark else "light")
        brightness = sum(int(v) for v in re.findall(r"\d+", ink)[:3]) / 765
        assert (brightness > 0.6) if dark else (brightness < 0.4), ink
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"], "page wider than the screen"
        for digit, strokes in DIGITS.items():
            draw(visit, strokes, touch)
            probabilities = page.evaluate("() => mnistbookDemo.current()")
            assert probabilities is not None and abs(sum(probabilities) - 1) < 1e-9
            assert int(np.argmax(probabilities)) == digit, (digit, probabilities)
            live = page.locator("#mb-draw-live").inner_text()
            assert f"reads {digit} " in live, live
            assert page.locator("#mb-draw-digit").inner_text() == str(digit)
            assert "moved" in page.locator("#mb-draw-move").inner_text()  # the steps are drawn
            assert "moved 3 px right, the network reads" in page.locator("#mb-draw-shift-prediction").inner_text()

            # MNIST's preprocessing: 20-pixel box, centre of mass on (14, 14), MNIST's line width
            image = np.array(page.evaluate("() => mnistbookDemo.input()")).reshape(28, 28)
            assert 0 <= image.min() and image.max() <= 1 and image.max() > 0.9
            inked = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
            longer = max(np.ptp(inked[0]) + 1, np.ptp(inked[1]) + 1)
            assert built["box"] - 1 <= longer <= built["box"] + 1, longer
            index = np.arange(28)
            centre = image.sum(axis=1) @ index / image.sum(), image.sum(axis=0) @ index / image.sum()
            assert np.allclose(centre, built["centre"], atol=0.5), centre
            width = float(stroke_width(image))
            assert abs(width - mnist_width) < 0.5, (digit, width, mnist_width)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"draw-{viewport['width']}-{digit}.png"))

            # Clear, from the keyboard: the pad is focusable, and Clear follows it
            page.locator("#mb-draw-pad").focus()
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.id") == "mb-draw-clear"
            page.keyboard.press("Enter")
            assert page.evaluate("() => mnistbookDemo.current()") is None
            assert "empty" in page.locator("#mb-draw-live").inner_text()

        # the keyboard draws a 1: arrows move the pen, Space puts it down and lifts it
        page.locator("#mb-draw-pad").focus()
        for keys in (["ArrowUp"] * 8, ["Space"], ["ArrowDown"] * 16, ["Space"]):
            for key in keys:
                page.keyboard.press(key)
        probabilities = page.evaluate("() => mnistbookDemo.current()")
        assert int(np.argmax(probabilities)) == 1, probabilities
        assert "reads 1 " in page.locator("#mb-draw-live").inner_text()

        # Escape on the focused pad clears it
        page.locator("#mb-draw-pad").focus()
        page.keyboard.press("Escape")
        assert page.evaluate("() => mnistbookDemo.current()") is None
        assert visit.outside == [] and visit.failed == [], (visit.outside, visit.failed)
        assert visit.errors == [], visit.errors
    finally:
        visit.close()
