// mteval view: keyboard navigation (j/k turns, n/p dialogues) and live counts.
// No inline scripts anywhere: the page's Content-Security-Policy allows this file only.
"use strict";

(function () {
  function typing(event) {
    const el = event.target;
    return el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(el.tagName));
  }

  function turns() {
    return Array.from(document.querySelectorAll(".turn"));
  }

  function current(list) {
    const marked = list.findIndex((el) => el.classList.contains("current"));
    if (marked >= 0) return marked;
    const hash = decodeURIComponent(location.hash.slice(1));
    return hash ? list.findIndex((el) => el.id === hash) : -1;
  }

  function select(list, index) {
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach((el) => el.classList.remove("current"));
    const el = list[index];
    el.classList.add("current");
    el.scrollIntoView({ block: "start" });
    el.focus({ preventScroll: true });
    history.replaceState(null, "", "#" + el.id);
  }

  function follow(id) {
    const link = document.getElementById(id);
    if (link) location.href = link.href;
  }

  document.addEventListener("keydown", (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const list = turns();
    if (event.key === "j") select(list, current(list) + 1);
    else if (event.key === "k") select(list, Math.max(0, current(list) - 1));
    else if (event.key === "n") follow("next-dialogue");
    else if (event.key === "p") follow("prev-dialogue");
    else return;
    event.preventDefault();
  });

  function markHash() {
    const list = turns();
    const index = current(list);
    if (index >= 0) {
      list.forEach((el) => el.classList.remove("current"));
      list[index].classList.add("current");
    }
  }
  window.addEventListener("hashchange", markHash);

  function live() {
    const page = document.body.dataset.page;
    const rows = Array.from(document.querySelectorAll("[data-run][data-status]"));
    const running = rows.some((el) => el.dataset.status === "running" || el.dataset.status === "created");
    if (!(page === "runs" || running)) return;
    const delay = parseInt(document.body.dataset.pollMs, 10) || 2000;
    async function tick() {
      try {
        const response = await fetch("/api/runs", { cache: "no-store" });
        if (!response.ok) return;
        const runs = await response.json();
        const shown = new Set(rows.map((el) => el.dataset.run));
        if (page === "runs" && !location.search && Object.keys(runs).some((id) => !shown.has(id))) {
          location.reload();
          return;
        }
        for (const el of rows) {
          const run = runs[el.dataset.run];
          if (!run) continue;
          el.dataset.status = run.status;
          for (const field of el.querySelectorAll("[data-field]")) {
            const value = run[field.dataset.field];
            if (value === undefined) continue;
            field.textContent = String(value);
            if (field.dataset.field === "status") field.className = "status status-" + value;
          }
        }
      } catch (error) {
        // The viewer stopped or the network hiccupped: try again at the next tick.
      } finally {
        window.setTimeout(tick, delay);
      }
    }
    window.setTimeout(tick, delay);
  }

  document.addEventListener("DOMContentLoaded", () => {
    markHash();
    live();
  });
})();
