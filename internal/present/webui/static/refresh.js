// Refreshes the front page in place: 15 seconds after the last refresh
// ended, the new page's <main> replaces the old one, without a reload (no
// flicker, the scroll position stays). Not while the tab is hidden or a
// select or a text field (the attribute being typed) has the focus, and
// one request at a time.
"use strict";
async function refresh() {
  try {
    if (!document.hidden && !(document.activeElement && ["SELECT", "INPUT"].includes(document.activeElement.tagName))) {
      const resp = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (resp.ok) {
        const next = new DOMParser().parseFromString(await resp.text(), "text/html").getElementById("main");
        if (next) document.getElementById("main").replaceWith(next);
      }
    }
  } catch (e) {
    // offline for a moment: the next round tries again
  }
  setTimeout(refresh, 15000);
}
setTimeout(refresh, 15000);
