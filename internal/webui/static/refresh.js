// Refreshes the front page in place every 15 seconds: the new page's
// <main> replaces the old one, without a reload (no flicker, the scroll
// position and an open select stay).
"use strict";
setInterval(async () => {
  if (document.activeElement && document.activeElement.tagName === "SELECT") return;
  try {
    const resp = await fetch(location.href, { headers: { Accept: "text/html" } });
    if (!resp.ok) return;
    const next = new DOMParser().parseFromString(await resp.text(), "text/html").getElementById("main");
    if (next) document.getElementById("main").replaceWith(next);
  } catch (e) {
    // offline for a moment: the next tick tries again
  }
}, 15000);
