// The teacher's class heatmap, kept fresh. The socket sends the whole heatmap when it connects
// (so a reconnect catches up), then the rows of the students whose mastery changed (the server
// coalesces a burst of submits). Rows are replaced in place; column and class averages are
// recomputed from the table, so a page showing one classroom keeps that classroom's averages.
// Reconnects with a growing delay when the socket drops; the page never needs a reload.

const table = document.getElementById("heatmap");

if (table) {
  const T = JSON.parse(document.getElementById("heatmap-text").textContent);
  const state = document.querySelector(".live-state");
  const announce = document.getElementById("heatmap-announce");
  const body = table.tBodies[0];
  const columns = [...table.tHead.querySelectorAll("th[data-kp]")].map((th) => th.dataset.kp);
  const filtered = table.hasAttribute("data-filtered");

  const format = (template, values) => template.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
  const percent = (mastery) => String(Math.round(mastery * 100));
  const number = (mastery) => (mastery === null ? "" : mastery.toFixed(4));
  const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
  const el = (tag, text, attrs = {}) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text; // names are text, never HTML
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    return node;
  };

  const cell = (data) => {
    if (!data || data.mastery === null) {
      const td = el("td", undefined, { class: "heat-cell is-empty", "data-kp": data ? data.knowledge_point : "" });
      td.append(el("span", T.not_assessed, { class: "visually-hidden" }));
      return td;
    }
    const td = el("td", percent(data.mastery), {
      class: "heat-cell mastery-fill",
      "data-kp": data.knowledge_point,
      "data-mastery": number(data.mastery),
      title: `${T.levels[data.mastery_level]} · ${format(T.answers, { answers: data.evidence, correct: data.correct })}`,
    });
    td.style.setProperty("--m", number(data.mastery));
    return td;
  };

  const row = (data) => {
    const tr = el("tr", undefined, {
      "data-student": data.student,
      "data-name": data.name,
      "data-average": number(data.average),
      "data-weak": data.weak,
    });
    const name = el("th", undefined, { scope: "row" });
    name.append(el("a", data.name, { href: table.dataset.studentUrl.replace("/0/", `/${data.student}/`) }));
    const cells = new Map(data.cells.map((c) => [String(c.knowledge_point), c]));
    tr.append(
      name,
      ...columns.map((kp) => cell(cells.get(kp) || { knowledge_point: kp, mastery: null })),
      el("td", data.average === null ? "" : `${percent(data.average)}%`, { class: "heat-average" }),
      el("td", String(data.weak), { class: "heat-weak" }),
    );
    return tr;
  };

  const averages = () => {
    const all = [];
    for (const kp of columns) {
      const values = [...body.querySelectorAll(`td[data-kp="${kp}"][data-mastery]`)].map((td) => Number(td.dataset.mastery));
      all.push(...values);
      const average = mean(values);
      table.tFoot.querySelector(`td[data-kp="${kp}"]`).textContent = average === null ? "" : percent(average);
    }
    const overall = mean(all);
    table.tFoot.querySelector('[data-role="overall"]').textContent = overall === null ? "" : `${percent(overall)}%`;
  };

  const byName = (a, b) => a.dataset.name.localeCompare(b.dataset.name);
  const byWeakness = (a, b) => {
    const x = a.dataset.average;
    const y = b.dataset.average;
    if ((x === "") !== (y === "")) return x === "" ? 1 : -1; // not assessed last
    return Number(x) - Number(y) || Number(b.dataset.weak) - Number(a.dataset.weak) || byName(a, b);
  };

  // `whole`: the full heatmap (rows missing from it are gone); otherwise only changed rows.
  const apply = (rows, removed, whole) => {
    const present = new Set();
    const updated = [];
    let added = false;
    for (const data of rows) {
      present.add(String(data.student));
      const old = body.querySelector(`tr[data-student="${data.student}"]`);
      if (!old && filtered) continue; // not a student of the classroom shown
      const fresh = row(data);
      if (old) {
        const focused = old.contains(document.activeElement);
        old.replaceWith(fresh);
        if (focused) fresh.querySelector("a").focus();
      } else {
        body.append(fresh);
        added = true;
      }
      if (!whole) {
        updated.push(data.name);
        fresh.classList.add("is-updated");
        setTimeout(() => fresh.classList.remove("is-updated"), 2000);
      }
    }
    const gone = whole
      ? [...body.rows].filter((tr) => !present.has(tr.dataset.student))
      : removed.map((id) => body.querySelector(`tr[data-student="${id}"]`)).filter(Boolean);
    for (const tr of gone) tr.remove();
    averages();
    if (table.dataset.sort === "weakness" || added) {
      body.append(...[...body.rows].sort(table.dataset.sort === "weakness" ? byWeakness : byName));
    }
    if (updated.length) announce.textContent = format(T.updated, { names: updated.join(", ") });
  };

  let delay = 1000;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}${table.dataset.socket}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      state.dataset.state = "live";
      state.textContent = T.live;
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "heatmap") apply(message.payload.students, [], true);
      if (message.type === "rows") apply(message.payload.students, message.payload.removed, false);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401 || event.code === 4403) {
        // Signed out, or no longer a teacher of the course: retrying would not help.
        state.dataset.state = "closed";
        state.textContent = T.closed;
        return;
      }
      state.dataset.state = "reconnecting";
      state.textContent = T.reconnecting;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };

  connect();
}
