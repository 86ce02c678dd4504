// The workflow pages' one script: no libraries, no network beyond this server.
// The graph is drawn by the server (svg.py). This colours it from the execution's trace
// (trace.py, polled from data-trace while the execution runs) and shows a state's input and
// output, or on a machine's page its definition, when it is clicked (or Enter/Space). A state
// visited more than once (a Map's iterations, retried loops) shows one visit at a time, with
// buttons to browse them (visits past those the trace carries are fetched one by one), and
// the executions a task started, or the execution's children, link to their own pages.
"use strict";

(function () {
  const POLL_MS = 500;
  const LABELS = {
    running: "▶ running",
    succeeded: "✓ succeeded",
    failed: "✕ failed",
    caught: "⚠ caught",
    aborted: "■ stopped",
  };
  const body = document.body;
  const panel = document.getElementById("details");
  const definitions = JSON.parse(document.getElementById("definitions").textContent);
  let trace = null;
  let selected = null;
  let children = [];
  const shown = {}; // state name -> the visit (0-based) shown
  const fetched = {}; // "name\u0000index" -> a visit fetched beyond the trace's
  const executionsBase = `${(body.dataset.trace || "").split("/executions/")[0]}/executions/`;

  function executionLink(arn, text) {
    const link = el("a", text || arn);
    link.href = executionsBase + encodeURIComponent(arn).replace(/%3A/g, ":");
    return link;
  }

  function executionList(entries) {
    const list = el("ul", null, "children");
    for (const entry of entries) {
      const item = el("li");
      item.append(executionLink(entry.arn, entry.name || entry.arn));
      if (entry.status) {
        const badge = el("span", entry.status, "badge");
        badge.dataset.status = entry.status;
        item.append(" ", badge);
      }
      list.append(item);
    }
    return list;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function pretty(text) {
    if (text === null || text === undefined) return "—";
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (error) {
      return String(text);
    }
  }

  function block(title, text) {
    const section = el("div", null, "block");
    section.append(el("h4", title), el("pre", pretty(text)));
    return section;
  }

  function statusText(state) {
    let text = LABELS[state.status] || state.status;
    const visits = state.visits.length + state.more;
    if (visits > 1) {
      const counts = Object.entries(state.counts)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${n} ${status}`);
      text = `${LABELS[state.status].split(" ")[0]} ${counts.join(", ")}`;
    }
    if (state.retries > 0) text += ` · ↻ ${state.retries} ${state.retries === 1 ? "retry" : "retries"}`;
    if (state.retrying) text += " · ↻ retry due";
    return text;
  }

  function paint() {
    for (const node of document.querySelectorAll("g.state")) {
      const state = trace.states[node.dataset.state];
      const line = node.querySelector("text.status");
      if (!state) {
        delete node.dataset.status;
        delete node.dataset.retried;
        line.textContent = "";
        continue;
      }
      node.dataset.status = state.status;
      node.dataset.retried = state.retries > 0 || state.retrying ? "true" : "false";
      line.textContent = statusText(state);
      node.setAttribute(
        "aria-label",
        `${node.dataset.state}, ${node.dataset.type} state, ${line.textContent}`,
      );
    }
    const taken = new Set(trace.transitions.map(([from, to]) => `${from}\u0000${to}`));
    for (const edge of document.querySelectorAll("g.edge")) {
      const on = taken.has(`${edge.dataset.from}\u0000${edge.dataset.to}`);
      edge.classList.toggle("taken", on);
      edge.querySelector("path").setAttribute("marker-end", on ? "url(#arrow-taken)" : "url(#arrow)");
    }
    for (const marker of document.querySelectorAll("g.marker")) {
      const reached = marker.dataset.state === "__start__"
        ? true
        : trace.transitions.some(([, to]) => to === "__end__");
      marker.classList.toggle("reached", reached);
    }
    const badge = document.getElementById("execution-status");
    badge.textContent = trace.status;
    badge.dataset.status = trace.status;
    body.dataset.executionStatus = trace.status;
    body.dataset.lastEventId = String(trace.lastEventId);
  }

  function showExecution() {
    panel.replaceChildren(el("h2", "Execution"));
    if (!trace) {
      panel.append(el("p", "Loading…"));
      return;
    }
    panel.append(el("p", `Status: ${trace.status}`, "summary"));
    panel.append(block("Input", trace.input));
    if (trace.output !== null) panel.append(block("Output", trace.output));
    if (trace.error !== null || trace.cause !== null) {
      panel.append(el("h4", "Error"), el("p", `${trace.error || ""} ${trace.cause || ""}`.trim(), "error"));
    }
    if (children.length) panel.append(el("h4", "Executions it started"), executionList(children));
    panel.append(el("p", "Select a state to see its input and output.", "hint"));
  }

  function visitSection(state, visit, index, total) {
    const section = el("section", null, `visit ${visit.status}`);
    let title = `${total > 1 ? `Visit ${index + 1} of ${total}: ` : ""}${LABELS[visit.status]}`;
    if (visit.iteration !== null && visit.iteration !== undefined) title += ` · item #${visit.iteration}`;
    if (visit.retries) title += ` after ${visit.retries} ${visit.retries === 1 ? "retry" : "retries"}`;
    if (visit.retrying) title += ", failed: its retry is due";
    section.append(el("h3", title));
    section.append(block("Input", visit.input));
    if (visit.status !== "running" && visit.status !== "failed" && visit.status !== "aborted") {
      section.append(block("Output", visit.output));
    }
    if (visit.errors.length) {
      const list = el("ul", null, "errors");
      for (const error of visit.errors) {
        const item = el("li");
        item.append(el("code", error.error));
        if (error.cause) item.append(el("pre", pretty(error.cause)));
        list.append(item);
      }
      section.append(el("h4", "Errors"), list);
    }
    if (visit.executions && visit.executions.length) {
      section.append(el("h4", "Execution started"), executionList(visit.executions.map((arn) => ({ arn }))));
    }
    return section;
  }

  function button(text, label, disabled, onClick) {
    const node = el("button", text);
    node.type = "button";
    node.setAttribute("aria-label", label);
    node.disabled = disabled;
    node.addEventListener("click", onClick);
    return node;
  }

  function pager(name, index, total) {
    const nav = el("nav", null, "pager");
    nav.setAttribute("aria-label", `Visits of ${name}`);
    const go = (to) => {
      shown[name] = Math.max(0, Math.min(total - 1, to));
      showState(name);
    };
    const jump = el("input");
    jump.type = "number";
    jump.min = "1";
    jump.max = String(total);
    jump.value = String(index + 1);
    jump.setAttribute("aria-label", "Visit number");
    jump.addEventListener("change", () => go(Number(jump.value) - 1));
    nav.append(
      button("⏮", "First visit", index === 0, () => go(0)),
      button("◀", "Previous visit", index === 0, () => go(index - 1)),
      jump,
      el("span", ` of ${total}`),
      button("▶", "Next visit", index >= total - 1, () => go(index + 1)),
      button("⏭", "Last visit", index >= total - 1, () => go(total - 1)),
    );
    return nav;
  }

  async function fetchVisit(name, index) {
    const key = `${name}\u0000${index}`;
    if (fetched[key]) return;
    const url = `${body.dataset.trace}?state=${encodeURIComponent(name)}&visit=${index}`;
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (!response.ok) return;
      fetched[key] = await response.json();
      if (selected === name && shown[name] === index) showState(name);
    } catch (error) {
      // the next poll's refresh tries again
    }
  }

  function showState(name) {
    const definition = definitions[name] || {};
    panel.replaceChildren(el("h2", name));
    const state = trace && trace.states[name];
    if (body.dataset.page === "execution") {
      if (!state) {
        panel.append(el("p", `${definition.Type || ""} · not run yet`, "summary"));
      } else {
        panel.append(el("p", `${state.type} · ${statusText(state)}`, "summary"));
        const total = state.visits.length + state.more;
        const index = Math.min(shown[name] ?? 0, total - 1);
        if (total > 1) panel.append(pager(name, index, total));
        const visit = index < state.visits.length ? state.visits[index] : fetched[`${name}\u0000${index}`];
        if (visit) {
          panel.append(visitSection(state, visit, index, total));
        } else {
          panel.append(el("p", "Loading…", "hint"));
          fetchVisit(name, index);
        }
      }
    }
    const details = el("details");
    details.open = body.dataset.page !== "execution";
    details.append(el("summary", "Definition"), el("pre", JSON.stringify(definition, null, 2)));
    panel.append(details);
  }

  function refresh() {
    if (selected) showState(selected);
    else if (body.dataset.page === "execution") showExecution();
  }

  function select(node) {
    for (const other of document.querySelectorAll("g.state.selected")) other.classList.remove("selected");
    if (selected === node.dataset.state) {
      selected = null;
    } else {
      selected = node.dataset.state;
      node.classList.add("selected");
    }
    refresh();
  }

  for (const node of document.querySelectorAll("g.state")) {
    node.addEventListener("click", (event) => {
      event.stopPropagation();
      select(node);
    });
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        select(node);
      }
    });
  }

  async function poll() {
    const url = `${body.dataset.trace}?after=${trace ? trace.lastEventId : 0}`;
    let wait = POLL_MS;
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (!response.ok) throw new Error(`${response.status}`);
      const answer = await response.json();
      const before = JSON.stringify(children);
      if (answer.children) children = answer.children;
      if (!answer.unchanged) {
        trace = answer;
        paint();
        refresh();
      } else if (JSON.stringify(children) !== before && !selected) {
        refresh();
      }
    } catch (error) {
      wait = POLL_MS * 4; // the server restarting, say: keep trying, more slowly
    }
    if (!trace || trace.status === "RUNNING") setTimeout(poll, wait);
    else body.dataset.followed = "done";
  }

  // Fit the graph to the column (the default) or show it at its own size, scrolling.
  const zoom = document.querySelector(".canvas .zoom");
  zoom.addEventListener("click", () => {
    const fit = zoom.parentElement.classList.toggle("fit");
    zoom.setAttribute("aria-pressed", String(fit));
  });

  if (body.dataset.page === "execution") {
    showExecution();
    poll();
  }
})();
