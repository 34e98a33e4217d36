// A trace page's waterfall. Each span's row is a <details>: a click, or
// Enter or Space on the focused row, opens the span's details without any
// script. This adds: a link to another span of the page (its parent, a
// linked span) opens that span's details and moves to it without a
// reload; the arrow keys move between the rows.
"use strict";
const rowSummaries = ".waterfall li.span > details > summary";

function openSpan(id) {
  const details = document.getElementById("span-" + id);
  if (!details) return false;
  details.open = true;
  details.querySelector("summary").focus();
  details.scrollIntoView({ block: "nearest" });
  return true;
}

document.addEventListener("click", (e) => {
  const link = e.target.closest("a.span-link");
  if (link && openSpan(link.dataset.span)) {
    e.preventDefault();
    history.replaceState(null, "", link.getAttribute("href"));
  }
});

document.addEventListener("keydown", (e) => {
  if ((e.key !== "ArrowDown" && e.key !== "ArrowUp") || !e.target.matches(rowSummaries)) return;
  const rows = Array.from(document.querySelectorAll(rowSummaries));
  const next = rows[rows.indexOf(e.target) + (e.key === "ArrowDown" ? 1 : -1)];
  if (next) {
    e.preventDefault();
    next.focus();
  }
});

if (location.hash.startsWith("#span-")) openSpan(location.hash.slice("#span-".length));
