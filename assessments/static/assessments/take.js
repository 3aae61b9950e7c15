// Taking a test. Every answer is saved as it is given (debounced, one PUT per question); each
// save carries a sequence number so the server keeps the latest one whatever order saves
// arrive in. Saves not yet acknowledged are kept in localStorage: a dropped network, a reload or
// a closed tab loses nothing, and they are replayed when the network is back. The countdown
// shows the server's remaining time; the server enforces the deadline, not this page.

const root = document.getElementById("take");

if (root) {
  const data = JSON.parse(document.getElementById("attempt-data").textContent);
  const T = JSON.parse(document.getElementById("take-text").textContent);
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const STORE = `pathwise.attempt.${data.id}.pending`;
  const DEBOUNCE_MS = 400;
  const RETRY_MS = 5000;
  const form = root.querySelector("form.questions");
  const saveState = root.querySelector(".save-state");
  const countdown = root.querySelector(".countdown");
  const nav = root.querySelector(".question-nav");
  const [prevButton, nextButton] = ["prev", "next"].map((a) => root.querySelector(`[data-action="${a}"]`));
  const dialog = root.querySelector("dialog.submit-dialog");
  const onePerPage = data.layout === "one_per_page" && data.questions.length > 1;

  const fmt = (text, vars) => text.replace(/%\((\w+)\)s/g, (_, key) => vars[key]);
  const saveUrl = (id) => data.urls.save.replace(/\/0\/$/, `/${id}/`);

  // --- State: the latest answer per question, and the saves the server has not acknowledged.
  const readPending = () => {
    try {
      return JSON.parse(localStorage.getItem(STORE) || "{}");
    } catch {
      return {};
    }
  };
  const pending = readPending();
  const writePending = () => {
    try {
      localStorage.setItem(STORE, JSON.stringify(pending));
    } catch {
      // Storage full or disabled: saves still go to the server, only the offline copy is lost.
    }
  };
  const latest = new Map();
  for (const q of data.questions) {
    const local = pending[q.question];
    if (local && local.seq > q.seq) {
      latest.set(q.question, local);
    } else {
      delete pending[q.question];
      latest.set(q.question, { answer: q.answer, seq: q.seq });
    }
  }
  writePending();

  const inflight = new Set();
  const again = new Set();
  const timers = new Map();
  let offline = !navigator.onLine;
  let closedReason = null;

  const pendingCount = () => Object.keys(pending).length;
  const showState = () => {
    let state = "saved";
    let text = T.saved;
    if (closedReason) {
      state = "refused";
      text = fmt(T.refused, { reason: closedReason });
    } else if (pendingCount() && (offline || !navigator.onLine)) {
      state = "offline";
      text = fmt(T.offline, { n: pendingCount() });
    } else if (pendingCount() || inflight.size) {
      state = "saving";
      text = T.saving;
    }
    saveState.dataset.state = state;
    saveState.textContent = text;
    nav.querySelectorAll("button").forEach((button) => {
      const answer = latest.get(Number(button.dataset.question))?.answer;
      button.classList.toggle("is-answered", answer !== null && answer !== undefined);
    });
  };

  const questionError = (id, message) => {
    const box = form.querySelector(`[data-question="${id}"] .question-error`);
    if (box) {
      box.textContent = message || "";
      box.hidden = !message;
    }
  };

  const errorDetail = async (response) => {
    try {
      const body = await response.json();
      return body.errors?.map((e) => e.detail).join(" ") || response.statusText;
    } catch {
      return response.statusText;
    }
  };

  // --- Saving
  const flush = async (id) => {
    if (closedReason) return;
    if (inflight.has(id)) {
      again.add(id);
      return;
    }
    const save = pending[id];
    if (!save) return;
    inflight.add(id);
    showState();
    try {
      const response = await fetch(saveUrl(id), {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(save),
        credentials: "same-origin",
      });
      offline = false;
      if (response.ok) {
        const body = await response.json();
        if (pending[id] && pending[id].seq <= body.seq) delete pending[id];
        questionError(id, null);
      } else if (response.status === 409) {
        closedReason = await errorDetail(response);
      } else if (response.status === 400) {
        // This answer can never be saved as it is (not a number…): say so by the question.
        if (pending[id] && pending[id].seq === save.seq) delete pending[id];
        questionError(id, await errorDetail(response));
      }
      // 401/403/5xx: kept, retried later.
    } catch {
      offline = true;
    } finally {
      inflight.delete(id);
      writePending();
      showState();
      if (again.delete(id)) flush(id);
    }
  };
  const flushAll = () => Promise.all(Object.keys(pending).map((id) => flush(id)));

  const changed = (q) => {
    const answer = readAnswer(q);
    const seq = Math.max((latest.get(q.question)?.seq || 0) + 1, Date.now());
    latest.set(q.question, { answer, seq });
    pending[q.question] = { answer, seq };
    writePending();
    showState();
    clearTimeout(timers.get(q.question));
    timers.set(q.question, setTimeout(() => flush(q.question), DEBOUNCE_MS));
  };

  window.addEventListener("online", () => {
    offline = false;
    flushAll();
  });
  window.addEventListener("offline", () => {
    offline = true;
    showState();
  });
  setInterval(() => {
    if (pendingCount() && !closedReason) flushAll();
  }, RETRY_MS);

  // --- Rendering
  const el = (tag, attrs = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "html") node.innerHTML = value; // server-rendered, sanitized Markdown
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  };

  const choiceInputs = (q, type) => {
    const answer = latest.get(q.question).answer;
    const picked = new Set(type === "radio" ? [answer?.choice] : answer?.choices || []);
    return el("div", { class: "options" }, q.options.map((option) => {
      const id = `q${q.question}-${option.id}`;
      const input = el("input", { type, id, name: `q${q.question}`, value: option.id });
      input.checked = picked.has(option.id);
      return el("div", { class: "option" }, [input, el("label", { for: id, html: option.html })]);
    }));
  };

  const widgets = {
    single_choice: (q) => choiceInputs(q, "radio"),
    multiple_choice: (q) => choiceInputs(q, "checkbox"),
    true_false: (q) => {
      const value = latest.get(q.question).answer?.value;
      return el("div", { class: "options" }, [true, false].map((option) => {
        const id = `q${q.question}-${option}`;
        const input = el("input", { type: "radio", id, name: `q${q.question}`, value: String(option) });
        input.checked = value === option;
        return el("div", { class: "option" }, [input, el("label", { for: id, text: option ? T.true : T.false })]);
      }));
    },
    numeric: (q) => {
      const answer = latest.get(q.question).answer;
      const input = el("input", { type: "text", inputmode: "decimal", autocomplete: "off", name: "value", "aria-label": T.number, maxlength: "40" });
      input.value = answer?.value ?? "";
      const parts = [input];
      if (q.unit) {
        const unit = el("input", { type: "text", name: "unit", "aria-label": T.unit, placeholder: q.unit, maxlength: "20", size: "6" });
        unit.value = answer?.unit ?? "";
        parts.push(unit);
      }
      return el("div", { class: "numeric" }, parts);
    },
    short_text: (q) => {
      const input = el("input", { type: "text", name: "text", "aria-label": T.text, maxlength: "1000", autocomplete: "off" });
      input.value = latest.get(q.question).answer?.text ?? "";
      return input;
    },
    ordering: (q) => {
      const html = new Map(q.options.map((o) => [o.id, o.html]));
      const order = latest.get(q.question).answer?.order || q.options.map((o) => o.id);
      const list = el("ol", { class: "ordering" });
      for (const id of order) {
        const up = el("button", { type: "button", class: "button-small", "data-move": "-1", "aria-label": T.up, text: "↑" });
        const down = el("button", { type: "button", class: "button-small", "data-move": "1", "aria-label": T.down, text: "↓" });
        list.append(el("li", { "data-id": id }, [el("span", { html: html.get(id) }), up, down]));
      }
      return list;
    },
  };

  const readAnswer = (q) => {
    const box = form.querySelector(`[data-question="${q.question}"]`);
    switch (q.kind) {
      case "single_choice": {
        const checked = box.querySelector("input:checked");
        return checked ? { choice: checked.value } : null;
      }
      case "multiple_choice":
        return { choices: [...box.querySelectorAll("input:checked")].map((i) => i.value) };
      case "true_false": {
        const checked = box.querySelector("input:checked");
        return checked ? { value: checked.value === "true" } : null;
      }
      case "numeric": {
        const value = box.querySelector('input[name="value"]').value.trim();
        const unit = box.querySelector('input[name="unit"]')?.value.trim() || "";
        return value ? { value, unit } : null;
      }
      case "short_text": {
        const text = box.querySelector('input[name="text"]').value;
        return text.trim() ? { text } : null;
      }
      default:
        return { order: [...box.querySelectorAll("li[data-id]")].map((li) => li.dataset.id) };
    }
  };

  const fieldsets = data.questions.map((q, index) => {
    const legend = el("legend", { text: `${fmt(T.question, { n: index + 1 })} · ${fmt(T.points, { n: q.points })}` });
    const box = el("fieldset", { class: `question question-${q.kind}`, "data-question": q.question }, [
      legend,
      el("div", { class: "prose stem", html: q.stem_html }),
      widgets[q.kind](q),
      el("p", { class: "question-error", role: "alert", hidden: "" }),
    ]);
    const save = () => changed(q);
    box.addEventListener("change", save);
    if (q.kind === "numeric" || q.kind === "short_text") box.addEventListener("input", save);
    if (q.kind === "ordering") {
      box.addEventListener("click", (event) => {
        const button = event.target.closest("button[data-move]");
        if (!button) return;
        const item = button.closest("li");
        const sibling = button.dataset.move === "-1" ? item.previousElementSibling : item.nextElementSibling;
        if (!sibling) return;
        if (button.dataset.move === "-1") sibling.before(item);
        else sibling.after(item);
        button.focus();
        save();
      });
    }
    form.append(box);
    return box;
  });

  // --- One question per page
  let current = 0;
  const show = (index) => {
    current = Math.max(0, Math.min(index, fieldsets.length - 1));
    fieldsets.forEach((box, i) => { box.hidden = onePerPage && i !== current; });
    prevButton.hidden = !onePerPage || current === 0;
    nextButton.hidden = !onePerPage || current === fieldsets.length - 1;
    nav.querySelectorAll("button").forEach((b, i) => b.setAttribute("aria-current", String(i === current)));
  };
  if (onePerPage) {
    nav.hidden = false;
    data.questions.forEach((q, i) => {
      const button = el("button", { type: "button", class: "button-small", "data-question": q.question, text: String(i + 1) });
      button.addEventListener("click", () => show(i));
      nav.append(button);
    });
    prevButton.addEventListener("click", () => show(current - 1));
    nextButton.addEventListener("click", () => show(current + 1));
  }
  show(0);
  form.addEventListener("submit", (event) => event.preventDefault());

  // --- Submitting
  let submitting = false;
  const submit = async () => {
    if (submitting) return;
    submitting = true;
    try {
      await flushAll();
      if (pendingCount() && !closedReason) {
        saveState.dataset.state = "offline";
        saveState.textContent = T.offlineSubmit;
        return;
      }
      const response = await fetch(data.urls.submit, {
        method: "POST",
        headers: { "X-CSRFToken": csrf },
        credentials: "same-origin",
      });
      if (!response.ok) {
        saveState.textContent = fmt(T.submitFailed, { reason: await errorDetail(response) });
        return;
      }
      localStorage.removeItem(STORE);
      window.location.assign(data.urls.result);
    } catch {
      saveState.dataset.state = "offline";
      saveState.textContent = T.offlineSubmit;
    } finally {
      submitting = false;
    }
  };

  root.querySelector('[data-action="submit"]').addEventListener("click", () => {
    const unanswered = data.questions.filter((q) => {
      const answer = latest.get(q.question).answer;
      return answer === null || answer === undefined;
    }).length;
    root.querySelector(".submit-summary").textContent = unanswered
      ? fmt(T.unanswered, { n: unanswered, total: data.questions.length })
      : T.allAnswered;
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "submit") submit();
  });

  // --- Countdown to the server's deadline (the server enforces it; this only shows it)
  if (countdown && data.seconds_remaining !== null) {
    const end = performance.now() + data.seconds_remaining * 1000;
    const pad = (n) => String(n).padStart(2, "0");
    const tick = () => {
      const left = Math.max(0, Math.round((end - performance.now()) / 1000));
      const hours = Math.floor(left / 3600);
      const minutes = Math.floor((left % 3600) / 60);
      countdown.textContent = `${hours ? `${hours}:${pad(minutes)}` : minutes}:${pad(left % 60)}`;
      countdown.classList.toggle("is-low", left <= 60);
      if (left === 0) {
        clearInterval(timer);
        saveState.textContent = T.timeUp;
        submit();
      }
    };
    const timer = setInterval(tick, 1000);
    tick();
  }

  showState();
  if (pendingCount()) flushAll(); // answers left in this browser by an earlier visit
}
