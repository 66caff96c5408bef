"""The sidebars open, close and can be used by keyboard, on a phone and on a desktop.

pydata-sphinx-theme 0.20 renders a second, hidden pair of sidebar toggles that
the themes' scripts bound to, so the visible buttons did nothing
(pydata-sphinx-theme#2451); these tests click the buttons a reader sees.
"""

from __future__ import annotations

import pytest

from conftest import SHOTS, PageVisit

pytestmark = pytest.mark.browser

CHAPTER = "layer.html"  # a chapter with a long page table of contents
PRIMARY = ".bd-header-article button.primary-toggle"
SECONDARY = ".bd-header-article button.secondary-toggle"
PHONE, TABLET, DESKTOP = 390, 1024, 1280


def open_chapter(browser, site_url, width):
    visit = PageVisit(browser, f"{site_url}/{CHAPTER}", width=width, height=844 if width == PHONE else 900)
    visit.page.wait_for_load_state("networkidle")
    return visit


def dialog_open(page, dialog_id: str) -> bool:
    return page.evaluate(f"document.getElementById('{dialog_id}').open")


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, text: (e.textContent || "").trim(),
                           inPrimary: !!e.closest('#pst-primary-sidebar-modal'),
                           inSecondary: !!e.closest('#pst-secondary-sidebar-modal'),
                           href: e.getAttribute('href') || ''}; }"""
    )


def tab_to(page, predicate, limit=60) -> dict:
    """Press Tab until the focused element satisfies ``predicate``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if predicate(state):
            return state
    pytest.fail(f"Tab never reached the element; last focus: {focused(page)}")


def test_phone_primary_sidebar_opens_closes_and_navigates_by_keyboard(browser, site_url):
    visit = open_chapter(browser, site_url, PHONE)
    page = visit.page
    try:
        toggle = page.locator(PRIMARY)
        assert toggle.is_visible()
        chapters = page.locator("#pst-primary-sidebar-modal nav.bd-docs-nav a")
        assert not dialog_open(page, "pst-primary-sidebar-modal")

        toggle.click()
        assert dialog_open(page, "pst-primary-sidebar-modal"), "the chapter list did not open"
        assert chapters.count() >= 10 and chapters.first.is_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "nav-phone-primary.png"))

        page.keyboard.press("Escape")
        assert not dialog_open(page, "pst-primary-sidebar-modal"), "Escape did not close it"
        assert not chapters.first.is_visible()
        page.wait_for_function("() => document.activeElement.matches('.primary-toggle')")

        # By keyboard alone: focus the button, open, Tab to a chapter, follow it.
        toggle.focus()
        page.keyboard.press("Enter")
        assert dialog_open(page, "pst-primary-sidebar-modal")
        target = tab_to(page, lambda s: s["inPrimary"] and s["href"].startswith("training.html"))
        assert target["tag"] == "A"
        page.keyboard.press("Enter")
        page.wait_for_url("**/training.html")
        assert visit.errors == [], visit.errors
    finally:
        visit.close()


def test_phone_secondary_sidebar_opens_closes_and_navigates_by_keyboard(browser, site_url):
    visit = open_chapter(browser, site_url, PHONE)
    page = visit.page
    try:
        toggle = page.locator(SECONDARY)
        assert toggle.is_visible()
        entries = page.locator("#pst-secondary-sidebar-modal nav a")
        toggle.click()
        assert dialog_open(page, "pst-secondary-sidebar-modal"), "the page contents did not open"
        assert entries.count() >= 5 and entries.first.is_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "nav-phone-secondary.png"))

        # Keyboard: Tab stays inside the open dialog and reaches its entries.
        state = tab_to(page, lambda s: s["inSecondary"] and s["href"].startswith("#"))
        assert state["tag"] == "A"
        page.keyboard.press("Escape")
        assert not dialog_open(page, "pst-secondary-sidebar-modal"), "Escape did not close it"
        assert not entries.first.is_visible()
        page.wait_for_function("() => document.activeElement.matches('.secondary-toggle')")
        assert visit.errors == [], visit.errors
    finally:
        visit.close()


@pytest.mark.parametrize("width", [TABLET, DESKTOP])
def test_desktop_primary_toggle_collapses_and_restores_the_sidebar(browser, site_url, width):
    visit = open_chapter(browser, site_url, width)
    page = visit.page
    try:
        sidebar_link = page.locator("#pst-primary-sidebar nav.bd-docs-nav a").first
        toggle = page.locator(PRIMARY)
        assert sidebar_link.is_visible() and toggle.is_visible()

        toggle.click()
        page.wait_for_function(
            "() => getComputedStyle(document.getElementById('pst-primary-sidebar')).visibility === 'hidden'"
        )
        assert not sidebar_link.is_visible(), "the toggle did not collapse the sidebar"
        assert not dialog_open(page, "pst-primary-sidebar-modal"), "a dialog opened instead"

        # By keyboard: Enter on the focused toggle brings the sidebar back.
        toggle.focus()
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => getComputedStyle(document.getElementById('pst-primary-sidebar')).visibility === 'visible'"
        )
        assert sidebar_link.is_visible()
        # ... and its chapter links are reachable with Tab.
        page.locator("body").focus()
        tab_to(page, lambda s: s["href"].startswith("training.html"))
        assert visit.errors == [], visit.errors
    finally:
        visit.close()


def test_tablet_secondary_toggle_opens_the_page_contents(browser, site_url):
    visit = open_chapter(browser, site_url, TABLET)
    page = visit.page
    try:
        page.locator(SECONDARY).click()
        assert dialog_open(page, "pst-secondary-sidebar-modal")
        assert page.locator("#pst-secondary-sidebar-modal nav a").first.is_visible()
        page.keyboard.press("Escape")
        assert not dialog_open(page, "pst-secondary-sidebar-modal")
    finally:
        visit.close()


def test_desktop_shows_the_page_contents_without_a_toggle(browser, site_url):
    """At 1280 px the page's contents are always shown beside it, so the theme
    hides their toggle; the entries are there and reachable by keyboard."""
    visit = open_chapter(browser, site_url, DESKTOP)
    page = visit.page
    try:
        assert not page.locator(SECONDARY).is_visible()
        entries = page.locator("#pst-secondary-sidebar nav a")
        assert entries.count() >= 5 and entries.first.is_visible()
        page.locator("body").focus()
        tab_to(page, lambda s: s["href"].startswith("#") and s["text"] == entries.first.inner_text().strip(),
               limit=1500)  # every link and formula of the chapter comes first
    finally:
        visit.close()


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_header_buttons_show_a_focus_ring(browser, site_url, width):
    """Every header button reached with Tab shows a visible focus indicator."""
    visit = open_chapter(browser, site_url, width)
    page = visit.page
    try:
        page.locator("body").focus()
        seen = {}
        for _ in range(40):
            page.keyboard.press("Tab")
            ring = page.evaluate(
                """() => { const e = document.activeElement;
                           if (!e.closest('.bd-header-article')) return null;
                           const s = getComputedStyle(e);
                           return {name: e.getAttribute('title') || e.getAttribute('aria-label') || e.className,
                                   ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                                         || (s.boxShadow && s.boxShadow !== 'none')}; }"""
            )
            if ring:
                seen[ring["name"]] = ring["ring"]
        assert len(seen) >= 4, f"too few header buttons reached by Tab: {seen}"
        assert all(seen.values()), f"header buttons without a focus ring: {seen}"
    finally:
        visit.close()
