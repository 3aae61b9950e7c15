// The teacher's live results: rendered from the snapshot the page came with, then from every
// snapshot the socket pushes (the server coalesces a burst of submits into one). Reconnects
// with a growing delay when the socket drops; the page never needs a reload.

const root = document.getElementById("results");

if (root) {
  const T = JSON.parse(document.getElementById("results-text").textContent);
  const state = document.querySelector(".live-state");
  const el = (tag, text, attrs = {}) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text; // names and answers are text, never HTML
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    return node;
  };

  const render = (snapshot) => {
    for (const key of ["enrolled", "started", "in_progress", "submitted"]) {
      root.querySelector(`[data-count="${key}"]`).textContent = snapshot[key];
    }
    const most = Math.max(1, ...snapshot.histogram);
    const bars = snapshot.histogram.map((count, i) => {
      const bar = el("div", undefined, { class: "bar", title: `${i * 10}–${i * 10 + 10}%: ${count}` });
      bar.style.setProperty("--share", String(count / most));
      bar.append(el("span", String(count), { class: "bar-count" }), el("span", `${i * 10}%`, { class: "bar-label" }));
      return bar;
    });
    root.querySelector(".histogram").replaceChildren(...bars);
    root.querySelector(".question-rows").replaceChildren(...snapshot.questions.map((q) => {
      const row = el("tr", undefined, { "data-question": q.question });
      const wrong = el("td");
      wrong.append(...q.common_wrong_answers.map((w) => el("span", `${w.answer} (${w.count})`, { class: "badge" })));
      row.append(el("td", q.title), el("td", String(q.answered)), el("td", q.percent_correct === null ? "—" : `${q.percent_correct}%`), wrong);
      return row;
    }));
    root.querySelector(".student-rows").replaceChildren(...snapshot.students.map((s) => {
      const row = el("tr", undefined, { "data-student": s.student, "data-status": s.status });
      row.append(el("td", s.name), el("td", T[s.status] || s.status), el("td", String(s.attempts)), el("td", s.score === null ? "—" : `${s.score} / ${s.max_score}`));
      return row;
    }));
  };

  let delay = 1000;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}${root.dataset.socket}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      state.dataset.state = "live";
      state.textContent = T.live;
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "results") render(message.payload);
    });
    socket.addEventListener("close", () => {
      state.dataset.state = "reconnecting";
      state.textContent = T.reconnecting;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };

  render(JSON.parse(document.getElementById("results-data").textContent));
  connect();
}
