// Small fixes for readers on phones and keyboards (see docs/_ext/mnistbook_site).
"use strict";

// On a narrow screen a wide figure keeps two thirds of its width, so its labels
// stay legible, and scrolls sideways inside its own box; a box that scrolls
// must be reachable by keyboard (axe: scrollable-region-focusable).
function mnistbookFigureScroll() {
  document.querySelectorAll(".cell_output img[width]").forEach((img) => {
    const width = Number(img.getAttribute("width"));
    if (width > 0) img.style.minWidth = Math.round(width * 0.66) + "px";
  });
  document.querySelectorAll(".cell_output figure, .cell_output > .output").forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("mnistbook-scrolls", scrolls);
    if (scrolls) {
      box.tabIndex = 0;
    } else if (box.tagName === "FIGURE") {
      box.removeAttribute("tabindex");
    }
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mnistbookFigureScroll);
} else {
  mnistbookFigureScroll();
}
window.addEventListener("load", mnistbookFigureScroll);
window.addEventListener("resize", mnistbookFigureScroll);

// Printing: a collapsed block that holds outputs opens, so the outputs print.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details.hide:not([open])").forEach((details) => {
    if (details.querySelector(".cell_output")) {
      details.open = true;
      details.dataset.openedForPrint = "true";
    }
  });
});
window.addEventListener("afterprint", () => {
  document.querySelectorAll("details[data-opened-for-print]").forEach((details) => {
    details.open = false;
    delete details.dataset.openedForPrint;
  });
});

// When a sidebar dialog closes, focus goes back to the button that opened it
// (the theme blurs the button on click, so it would otherwise fall to <body>).
function mnistbookReturnFocus() {
  [["pst-primary-sidebar-modal", ".bd-header-article .primary-toggle"],
   ["pst-secondary-sidebar-modal", ".bd-header-article .secondary-toggle"]].forEach(([id, selector]) => {
    const dialog = document.getElementById(id);
    const button = document.querySelector(selector);
    if (!dialog || !button) return;
    dialog.addEventListener("close", () => {
      setTimeout(() => {
        if (!document.activeElement || document.activeElement === document.body) button.focus();
      }, 0);
    });
  });
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mnistbookReturnFocus);
} else {
  mnistbookReturnFocus();
}
