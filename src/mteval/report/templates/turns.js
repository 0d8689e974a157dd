// mteval report: builds a dialogue's turn table when it is opened or linked to.
// The turns live once, as gzip-compressed JSON, in #turn-data; texts are set with
// textContent only, so whatever a model replied shows as text.
(() => {
  "use strict";
  const island = document.getElementById("turn-data");
  let loading = null;

  function load() {
    if (!loading) {
      loading = (async () => {
        if (typeof DecompressionStream === "undefined") {
          throw new Error("this browser cannot unpack the turns (no DecompressionStream); " +
                          "`mteval export RUN_ID` writes them as JSONL");
        }
        const binary = atob(island.textContent.trim());
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
        return JSON.parse(await new Response(stream).text());
      })();
    }
    return loading;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function textBlock(value, className) {
    return value === null ? el("span", "na", "—") : el("div", "text " + className, value);
  }

  function turnRow(turn, fields, strings) {
    const t = {};
    fields.forEach((name, i) => { t[name] = turn[i]; });
    const s = (i) => (i === null || i < 0 ? null : strings[i]);
    const tr = el("tr");
    const idx = el("td");
    idx.append("#" + t.turn_index, el("br"));
    const where = el("span", "n");
    where.append("pos " + t.position, el("br"), s(t.turn_id));
    idx.append(where);
    tr.append(idx);
    const user = el("td");
    user.append(textBlock(s(t.user), "user"));
    tr.append(user);
    const reply = el("td");
    if (t.status === "answered") {
      reply.append(textBlock(s(t.response), "reply"));
    } else {
      reply.append(el("span", "status-" + t.status, t.status));
      if (s(t.error) !== null) reply.append(el("div", "text", s(t.error)));
    }
    tr.append(reply);
    const reference = el("td");
    reference.append(s(t.reference) ? el("div", "text", s(t.reference)) : el("span", "na", "—"));
    tr.append(reference);
    const score = el("td");
    if (t.score !== null) score.append(el("strong", "", String(t.score)));
    else if (t.judgment_status === "error") score.append(el("span", "status-error", "judge error"));
    else score.append(el("span", "na", "—"));
    tr.append(score);
    const judge = el("td");
    if (t.method) judge.append(el("span", "n", t.method));
    if (s(t.rationale) !== null) judge.append(el("div", "text", s(t.rationale)));
    if (s(t.judge_error) !== null) judge.append(el("div", "text", s(t.judge_error)));
    tr.append(judge);
    return tr;
  }

  async function render(details) {
    if (details.dataset.state) return;
    details.dataset.state = "loading";
    const section = details.closest("section.task");
    try {
      const data = await load();
      const dialogue = data.sections[section.id][Number(details.dataset.i)];
      const table = el("table", "turns");
      const cols = el("colgroup");
      ["idx", "", "", "", "score", ""].forEach((c) => cols.append(el("col", c)));
      const head = el("tr");
      ["Turn", "User", "Model reply", "Reference reply", "Score", "Judge"].forEach(
        (h) => head.append(el("th", "", h)));
      const thead = el("thead");
      thead.append(head);
      const body = el("tbody");
      for (const turn of dialogue[1]) body.append(turnRow(turn, data.fields, data.strings));
      table.append(cols, thead, body);
      details.append(table);
      details.dataset.state = "ready";
    } catch (error) {
      details.append(el("p", "note", "Turns not shown: " + error.message));
      details.dataset.state = "failed";
    }
  }

  document.addEventListener("toggle", (event) => {
    const target = event.target;
    if (target instanceof HTMLDetailsElement && target.classList.contains("dialogue") &&
        target.open) {
      render(target);
    }
  }, true);

  // A link to a dialogue opens it; the browser has already scrolled to it.
  function follow() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id ? document.getElementById(id) : null;
    if (target instanceof HTMLDetailsElement && target.classList.contains("dialogue")) {
      target.open = true;
    }
  }
  window.addEventListener("hashchange", follow);
  follow();
})();
