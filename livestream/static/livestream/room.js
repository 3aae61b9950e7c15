// The lecture room: the player with its danmaku overlay, the chat list, the send box, live
// questions and, for moderators, the teacher's tools. Everything arrives on one socket
// (/ws/lectures/<id>/): a `state` and a `backfill` frame on every connect, then live frames.
// After a dropped connection the page reconnects with a growing delay and asks only for what it
// missed (`?after=` the last contiguous seq it has seen); ids already shown are never shown again.
//
// Live lecture: every new comment flies over the video at once and joins the list. Replay of a
// recording: comments are fetched a minute at a time ahead of the playhead and shown at their
// video time; seeking clears the screen and the list follows the playhead.
//
// Comment text is plain text and only ever set with textContent. stem_html and option html are
// sanitized by the server and are the only HTML inserted.

import { DanmakuLayer, DEFAULT_SETTINGS, ReplayTimeline, cleanText } from "./danmaku.js";

const root = document.getElementById("lecture");

if (root) {
  const room = JSON.parse(document.getElementById("lecture-room").textContent);
  const T = JSON.parse(document.getElementById("lecture-text").textContent);
  const fmt = (text, vars) => String(text ?? "").replace(/%\((\w+)\)s/g, (_, key) => vars[key]);
  const el = (tag, attrs = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "html") node.innerHTML = value; // server-sanitized HTML only
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    node.append(...children);
    return node;
  };
  const $ = (selector) => root.querySelector(selector);
  const pad = (n) => String(n).padStart(2, "0");
  const clockText = (seconds) => {
    const s = Math.max(0, Math.floor(seconds || 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
  };
  const newClientId = () =>
    window.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const same = (a, b) => String(a) === String(b);
  const me = room.user?.id;
  const canModerate = Boolean(room.can_moderate);

  // --- Elements
  const player = $(".player");
  const video = document.getElementById("lecture-video");
  const layerEl = $(".danmaku-layer");
  const kind = player.dataset.kind || "none";
  const connection = $(".live-state");
  const lectureBadge = $(".lecture-state");
  const viewerCount = $(".viewer-count");
  const chatScroll = $(".chat-scroll");
  const chatList = $(".chat-list");
  const chatJump = $(".chat-jump");
  const pinnedBar = $(".pinned-bar");
  const slowNotice = $(".slow-mode-notice");
  const mutedNotice = $(".muted-notice");
  const form = document.getElementById("danmaku-form");
  const input = form.elements.text;
  const submitButton = form.querySelector('button[type="submit"]');
  const counter = $(".char-count");
  const sendError = $(".send-error");
  const sendHint = $(".send-hint");
  const questionSlot = $(".question-slot");
  const announcer = $(".lecture-announce");
  const placeholder = $(".player-placeholder");

  const announce = (text) => {
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  };

  // --- State
  let lectureState = room.state;
  let startedAt = room.started_at ? Date.parse(room.started_at) : null;
  const replay = room.state === "ended" && kind !== "none" && Boolean(video);
  root.dataset.mode = replay ? "replay" : "live";
  let serverOffset = 0; // server clock minus this browser's, from question frames
  let slowMode = 0;
  let muted = false;
  let pinnedId = null;
  const mutedUsers = new Set();
  const known = new Map(); // id -> <danmaku> of every visible message this page has
  const hiddenIds = new Set();
  const rows = new Map(); // id -> chat row
  const pendingSends = new Map(); // client_id -> text
  const seenSeq = new Set();
  let contiguous = 0; // every seq up to this one has been seen
  let expecting = "send"; // where an error without client_id belongs: send | answer | moderate

  const noteSeq = (seq) => {
    if (!Number.isInteger(seq) || seq <= contiguous) return;
    seenSeq.add(seq);
    while (seenSeq.delete(contiguous + 1)) contiguous += 1;
  };
  const seenUpTo = (seq) => {
    if (!Number.isInteger(seq) || seq <= contiguous) return;
    contiguous = seq;
    for (const s of seenSeq) if (s <= contiguous) seenSeq.delete(s);
    while (seenSeq.delete(contiguous + 1)) contiguous += 1;
  };

  // --- Viewer settings, kept in this browser
  const SETTINGS_KEY = "pathwise.danmaku.settings";
  const STYLE_KEY = "pathwise.danmaku.style";
  const load = (key, fallback) => {
    try {
      return { ...fallback, ...JSON.parse(localStorage.getItem(key) || "{}") };
    } catch {
      return { ...fallback };
    }
  };
  const store = (key, value) => {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Storage full or disabled: the settings last as long as the page.
    }
  };
  const settings = load(SETTINGS_KEY, DEFAULT_SETTINGS);
  settings.keywords = Array.isArray(settings.keywords) ? settings.keywords.map(String) : [];
  settings.blockedModes = Array.isArray(settings.blockedModes) ? settings.blockedModes : [];

  const layer = new DanmakuLayer(layerEl, video, { live: !replay });
  const timeline = new ReplayTimeline();

  const settingsPanel = $(".danmaku-settings");
  const toggle = $(".danmaku-toggle");
  const keywordForm = $(".keyword-form");
  const keywordList = $(".keyword-list");
  const applySettings = () => {
    layer.configure(settings);
    store(SETTINGS_KEY, settings);
    toggle.setAttribute("aria-pressed", String(settings.enabled));
    const f = settingsPanel.querySelector(".settings-form").elements;
    f.opacity.value = settings.opacity;
    f.area.value = String(settings.area);
    f.speed.value = settings.speed;
    f.density.value = settings.density;
    settingsPanel.querySelector(".density-value").textContent = settings.density;
    settingsPanel.querySelector(".opacity-value").textContent = `${Math.round(settings.opacity * 100)}%`;
    for (const box of settingsPanel.querySelectorAll('input[name="blocked-mode"]')) {
      box.checked = settings.blockedModes.includes(box.value);
    }
    keywordList.replaceChildren(...settings.keywords.map((word) => {
      const remove = el("button", { type: "button", class: "button-link", "aria-label": fmt(T.unblock, { word }), text: "×" });
      remove.addEventListener("click", () => {
        settings.keywords = settings.keywords.filter((w) => w !== word);
        applySettings();
        refilterRows();
      });
      return el("li", {}, [el("span", { class: "keyword", text: word }), remove]);
    }));
  };
  toggle.addEventListener("click", () => {
    settings.enabled = !settings.enabled;
    applySettings();
  });
  settingsPanel.querySelector(".settings-form").addEventListener("input", (event) => {
    const f = event.currentTarget.elements;
    settings.opacity = Number(f.opacity.value);
    settings.area = Number(f.area.value);
    settings.speed = f.speed.value;
    settings.density = Number(f.density.value);
    settings.blockedModes = [...event.currentTarget.querySelectorAll('input[name="blocked-mode"]:checked')].map((b) => b.value);
    applySettings();
  });
  settingsPanel.querySelector(".settings-form").addEventListener("submit", (event) => event.preventDefault());
  keywordForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const word = cleanText(keywordForm.elements.keyword.value).trim();
    if (word && !settings.keywords.includes(word)) settings.keywords = [...settings.keywords, word].slice(-100);
    keywordForm.elements.keyword.value = "";
    applySettings();
    refilterRows();
  });

  // Popovers (settings, comment style) close on Escape and on a click elsewhere.
  const popovers = [...root.querySelectorAll("details.popover")];
  document.addEventListener("click", (event) => {
    for (const box of popovers) if (box.open && !box.contains(event.target)) box.open = false;
  });
  for (const box of popovers) {
    box.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !box.open) return;
      box.open = false;
      box.querySelector("summary").focus();
    });
  }

  // --- Player
  let hls = null;
  const setPlaceholder = (text, action) => {
    if (!placeholder) return;
    const message = placeholder.querySelector(".placeholder-text");
    message.textContent = text;
    placeholder.querySelector(".placeholder-action")?.remove();
    if (action) placeholder.append(action);
  };
  const playerNotice = $(".player-notice");
  const showPlayerNotice = (text) => {
    playerNotice.textContent = text || "";
    playerNotice.hidden = !text;
  };

  const loadScript = (src) => new Promise((resolve, reject) => {
    if (window.Hls) return resolve();
    const script = el("script", { src });
    script.addEventListener("load", resolve);
    script.addEventListener("error", reject);
    document.head.append(script);
  });

  const attachHls = async (url) => {
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      return;
    }
    try {
      await loadScript(room.hls);
    } catch {
      showPlayerNotice(T.player_failed);
      return;
    }
    if (!window.Hls?.isSupported()) {
      showPlayerNotice(T.no_hls);
      return;
    }
    const { Hls } = window;
    hls = new Hls({ lowLatencyMode: true });
    let retry = 2000;
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      retry = 2000;
      showPlayerNotice("");
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        // Not started yet or a network hiccup: try again, less and less often.
        showPlayerNotice(lectureState === "scheduled" ? T.stream_waiting : T.stream_retrying);
        window.setTimeout(() => hls.loadSource(url), retry);
        retry = Math.min(retry * 2, 30000);
      } else {
        showPlayerNotice(T.player_failed);
      }
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  };

  if (video) {
    if (kind === "hls") attachHls(player.dataset.src);
    if (!replay && lectureState === "live") {
      // A live lecture starts by itself; browsers that refuse sound start it muted.
      video.play?.().catch(() => {
        video.muted = true;
        video.play().then(() => {
          const unmute = el("button", { type: "button", class: "unmute-button", text: T.unmute });
          unmute.addEventListener("click", () => {
            video.muted = false;
            unmute.remove();
          });
          player.append(unmute);
        }).catch(() => {});
      });
    }
  }

  const fullscreenButton = $(".fullscreen-toggle");
  if (player.requestFullscreen) {
    fullscreenButton.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else player.requestFullscreen().catch(() => {});
    });
    // In full screen the send box comes along, over the bottom of the picture.
    const sendBox = $(".send-box");
    const sendBoxHome = sendBox.parentElement;
    document.addEventListener("fullscreenchange", () => {
      const full = document.fullscreenElement === player;
      fullscreenButton.setAttribute("aria-pressed", String(full));
      if (full && sendBox.parentElement !== player) player.append(sendBox);
      else if (!full && sendBox.parentElement === player) sendBoxHome.append(sendBox);
    });
  } else {
    fullscreenButton.hidden = true;
  }

  /** Seconds into the lecture for a new comment: the player's time, or the wall clock live. */
  const videoTime = () => {
    if (video && (replay || kind === "file")) return video.currentTime;
    if (video && kind === "hls" && startedAt) {
      let date = hls?.playingDate ?? null;
      const start = video.getStartDate?.();
      if (!date && start && !Number.isNaN(start.getTime())) date = new Date(start.getTime() + video.currentTime * 1000);
      if (date) return Math.max(0, (date.getTime() - startedAt) / 1000);
      const latency = Number.isFinite(hls?.latency) ? hls.latency : 0;
      return Math.max(0, (Date.now() + serverOffset - startedAt) / 1000 - latency);
    }
    if (startedAt && lectureState !== "scheduled") return Math.max(0, (Date.now() + serverOffset - startedAt) / 1000);
    return video ? video.currentTime : 0;
  };

  // --- Chat list
  let stick = true;
  const MAX_ROWS = 500;
  const nearBottom = () => chatScroll.scrollHeight - chatScroll.scrollTop - chatScroll.clientHeight < 24;
  chatScroll.addEventListener("scroll", () => {
    stick = nearBottom();
    if (stick) chatJump.hidden = true;
  });
  const toBottom = () => {
    chatScroll.scrollTop = chatScroll.scrollHeight;
    stick = true;
    chatJump.hidden = true;
  };
  chatJump.addEventListener("click", toBottom);
  // Notices and the pinned bar take room from the list: stay at the bottom if it was there.
  new ResizeObserver(() => {
    if (stick) chatScroll.scrollTop = chatScroll.scrollHeight;
  }).observe(chatScroll);
  const afterRowsChanged = () => {
    if (stick) {
      while (rows.size > MAX_ROWS) removeRow(chatList.firstElementChild.dataset.id);
      toBottom();
    } else {
      chatJump.hidden = false;
    }
  };

  const sortKey = (m) => (replay ? [m.video_time, m.seq] : [m.seq, 0]);
  const before = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

  const modButtons = (m) => {
    if (!canModerate) return [];
    const name = m.author?.name || "";
    const pinned = same(m.id, pinnedId);
    const mutedAuthor = m.author && mutedUsers.has(String(m.author.id));
    const buttons = [
      el("button", { type: "button", class: "button-small row-action hide-message", "data-id": m.id, "aria-label": fmt(T.hide_label, { name }), text: T.hide }),
      el("button", { type: "button", class: "button-small row-action pin-message", "data-id": m.id, "aria-pressed": String(pinned), text: pinned ? T.unpin : T.pin }),
    ];
    if (m.author && !same(m.author.id, me)) {
      buttons.push(el("button", {
        type: "button",
        class: "button-small row-action mute-user",
        "data-user": m.author.id,
        "data-muted": String(Boolean(mutedAuthor)),
        "aria-label": fmt(mutedAuthor ? T.unmute_label : T.mute_label, { name }),
        text: mutedAuthor ? T.unmute_user : T.mute,
      }));
    }
    return [el("span", { class: "row-actions" }, buttons)];
  };

  const rowFor = (m) => {
    const own = m.author && same(m.author.id, me);
    const time = replay
      ? el("button", { type: "button", class: "chat-time button-link", "data-time": m.video_time, "aria-label": fmt(T.seek_to, { time: clockText(m.video_time) }), text: clockText(m.video_time) })
      : el("span", { class: "chat-time", text: clockText(m.video_time) });
    const row = el("li", {
      class: `chat-row${own ? " is-own" : ""}${m.confused && canModerate ? " is-confused" : ""}${same(m.id, pinnedId) ? " is-pinned" : ""}`,
      "data-id": m.id,
      "data-seq": m.seq,
      "data-author": m.author?.id,
    }, [
      time,
      el("span", { class: "chat-author", text: cleanText(m.author?.name || T.someone) }),
      el("span", { class: "chat-text", dir: "auto", text: cleanText(m.text) }),
      ...modButtons(m),
    ]);
    row.style.setProperty("--swatch", /^#[0-9a-f]{6}$/i.test(m.color || "") ? m.color : "transparent");
    row.hidden = layer.isBlocked(m, { modes: false });
    row.key = sortKey(m);
    return row;
  };

  const insertRow = (m) => {
    const id = String(m.id);
    if (rows.has(id) || hiddenIds.has(id)) return;
    const row = rowFor(m);
    rows.set(id, row);
    let next = null;
    for (let node = chatList.lastElementChild; node && before(row.key, node.key); node = node.previousElementSibling) next = node;
    chatList.insertBefore(row, next);
    afterRowsChanged();
  };
  const removeRow = (id) => {
    const row = rows.get(String(id));
    if (!row) return;
    rows.delete(String(id));
    row.remove();
  };
  const refreshRow = (id) => {
    const row = rows.get(String(id));
    const m = known.get(String(id));
    if (row && m) {
      const fresh = rowFor(m);
      row.replaceWith(fresh);
      rows.set(String(id), fresh);
    }
  };
  const refilterRows = () => {
    for (const [id, row] of rows) {
      const m = known.get(id);
      if (m) row.hidden = layer.isBlocked(m, { modes: false });
    }
  };
  chatList.addEventListener("click", (event) => {
    const time = event.target.closest(".chat-time[data-time]");
    if (time && video) {
      video.currentTime = Number(time.dataset.time);
      return;
    }
    const button = event.target.closest(".row-action");
    if (!button) return;
    expecting = "moderate";
    if (button.classList.contains("hide-message")) send({ type: "hide", id: known.get(button.dataset.id)?.id ?? button.dataset.id });
    else if (button.classList.contains("pin-message")) {
      const pinned = button.getAttribute("aria-pressed") === "true";
      send({ type: "pin", id: pinned ? null : known.get(button.dataset.id)?.id ?? button.dataset.id });
    } else if (button.classList.contains("mute-user")) {
      const row = button.closest(".chat-row");
      const user = known.get(row.dataset.id)?.author?.id ?? button.dataset.user;
      send({ type: button.dataset.muted === "true" ? "unmute" : "mute", user });
    }
  });

  // --- Messages
  const isOwn = (m) => Boolean(m.author) && same(m.author.id, me);
  const overlay = (m) => layer.add(m, { own: isOwn(m) });

  /** A message from the socket: `live` for a `danmaku` frame, not for backfill. */
  const receive = (m, { live }) => {
    const id = String(m.id);
    if (hiddenIds.has(id)) return;
    const fresh = !known.has(id);
    known.set(id, m);
    if (replay) {
      timeline.add(m);
      const t = video.currentTime;
      if (m.video_time <= t) {
        insertRow(m);
        if (live && fresh && t - m.video_time < 3) overlay(m);
      }
    } else {
      insertRow(m);
      if (live && fresh) overlay(m);
    }
    if (live && fresh) confusionAdd(m);
  };

  const hide = (id) => {
    const key = String(id);
    hiddenIds.add(key);
    known.delete(key);
    layer.remove(key);
    timeline.remove(key);
    removeRow(key);
    if (same(pinnedId, key)) setPinned(null);
  };

  const setPinned = (m) => {
    const previous = pinnedId;
    pinnedId = m ? String(m.id) : null;
    pinnedBar.hidden = !m;
    if (m) {
      pinnedBar.querySelector(".pinned-author").textContent = cleanText(m.author?.name || T.someone);
      pinnedBar.querySelector(".pinned-text").textContent = cleanText(m.text);
      pinnedBar.dataset.id = m.id;
    }
    const unpin = pinnedBar.querySelector(".unpin-message");
    if (unpin) unpin.hidden = !canModerate;
    if (previous) refreshRow(previous);
    if (pinnedId) refreshRow(pinnedId);
  };
  pinnedBar.querySelector(".unpin-message")?.addEventListener("click", () => {
    expecting = "moderate";
    send({ type: "pin", id: null });
  });

  // --- Replay: fetch comments a window at a time ahead of the playhead, show them on time
  const WINDOW = 60;
  const MAX_RESULTS = 2000;
  const windows = new Map(); // index -> "loading" | "done"
  let playhead = 0;

  const fetchJson = async (base, params) => {
    const url = new URL(base, window.location.href);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok || response.redirected) throw new Error(String(response.status));
    return response.json();
  };

  const rebuildList = (t) => {
    rows.clear();
    chatList.replaceChildren();
    for (const m of timeline.upTo(t, 200)) insertRow(m);
    toBottom();
  };

  const loadWindow = async (index) => {
    if (windows.has(index) || index < 0) return;
    if (Number.isFinite(video.duration) && index * WINDOW > video.duration) return;
    windows.set(index, "loading");
    const end = (index + 1) * WINDOW;
    let from = index * WINDOW;
    try {
      for (;;) {
        const body = await fetchJson(room.api.danmaku, { from, to: end });
        const results = body.results || [];
        let behind = false;
        for (const m of results) {
          const id = String(m.id);
          if (hiddenIds.has(id)) continue;
          known.set(id, m);
          if (timeline.add(m) && m.video_time <= video.currentTime) behind = true;
        }
        if (behind) rebuildList(video.currentTime);
        const last = results.at(-1)?.video_time;
        if (results.length < MAX_RESULTS || !(last > from)) break;
        from = last; // more than one page in this window: go on from the last one
      }
      windows.set(index, "done");
    } catch {
      windows.set(index, "failed"); // tried again on a tick 5 s from now
      window.setTimeout(() => windows.delete(index), 5000);
    }
  };
  const ensureWindows = (t) => {
    const index = Math.floor(t / WINDOW);
    loadWindow(index);
    loadWindow(index + 1);
  };

  const reseek = (t) => {
    layer.clear();
    playhead = t;
    rebuildList(t);
    ensureWindows(t);
  };

  const tick = () => {
    const t = video.currentTime;
    if (video.seeking) return;
    if (t < playhead - 0.25 || t > playhead + 2) {
      reseek(t);
      return;
    }
    if (t > playhead) {
      for (const m of timeline.due(playhead, t)) {
        if (hiddenIds.has(String(m.id))) continue;
        if (t - m.video_time < 1.5) overlay(m);
        insertRow(m);
      }
      playhead = t;
    }
    ensureWindows(t);
  };

  if (replay) {
    let frame = null;
    const loop = () => {
      frame = null;
      tick();
      if (!video.paused && !video.ended) frame = requestAnimationFrame(loop);
    };
    const start = () => {
      if (frame === null) frame = requestAnimationFrame(loop);
    };
    video.addEventListener("play", start);
    video.addEventListener("playing", start);
    video.addEventListener("seeking", () => layer.clear());
    video.addEventListener("seeked", () => reseek(video.currentTime));
    video.addEventListener("timeupdate", () => {
      if (video.paused) tick();
    });
    video.addEventListener("loadedmetadata", () => ensureWindows(video.currentTime));
    reseek(video.currentTime || 0);
  }

  // --- Send box
  const styleForm = form.querySelector(".send-style");
  const sendStyle = load(STYLE_KEY, { mode: "scroll", color: room.palette?.[0] || "#ffffff", size: "normal" });
  const choiceGroup = (container, name, values, label) => {
    container.replaceChildren(...values.map((value) => {
      const id = `danmaku-${name}-${String(value).replace(/[^a-z0-9]/gi, "")}`;
      const radio = el("input", { type: "radio", name, id, value, checked: same(value, sendStyle[name]) });
      const text = label(value);
      return el("label", { class: `style-choice style-${name}`, for: id }, [
        radio,
        name === "color"
          ? el("span", { class: "swatch", style: `background:${value}`, title: value }, [el("span", { class: "visually-hidden", text: value })])
          : el("span", { text }),
      ]);
    }));
  };
  choiceGroup(styleForm.querySelector(".style-modes"), "mode", room.modes || ["scroll", "top", "bottom"], (m) => T[`mode_${m}`] || m);
  choiceGroup(styleForm.querySelector(".style-colors"), "color", room.palette || ["#ffffff"], (c) => c);
  choiceGroup(styleForm.querySelector(".style-sizes"), "size", room.sizes || ["small", "normal", "large"], (s) => T[`size_${s}`] || s);
  const styleSwatch = form.querySelector(".style-preview");
  const readStyle = () => {
    for (const name of ["mode", "color", "size"]) {
      const checked = form.querySelector(`input[name="${name}"]:checked`) || form.querySelector(`input[name="${name}"]`);
      if (checked) {
        checked.checked = true;
        sendStyle[name] = checked.value;
      }
    }
    styleSwatch.style.color = sendStyle.color;
    styleSwatch.dataset.mode = sendStyle.mode;
    store(STYLE_KEY, sendStyle);
  };
  styleForm.addEventListener("change", readStyle);
  readStyle();

  const maxLength = room.max_length || 100;
  input.maxLength = maxLength;
  const updateCounter = () => {
    const used = input.value.length;
    counter.textContent = `${used}/${maxLength}`;
    counter.classList.toggle("is-near", used >= maxLength * 0.9);
  };
  input.addEventListener("input", updateCounter);
  updateCounter();

  let cooldownTimer = null;
  let cooldownUntil = 0;
  const clearSendError = () => {
    sendError.hidden = true;
    sendError.textContent = "";
  };
  /** Shows a send error; with `seconds`, counts down and keeps Send disabled until it ends. */
  const showSendError = (text, seconds) => {
    window.clearInterval(cooldownTimer);
    sendError.hidden = false;
    if (!seconds) {
      sendError.textContent = fmt(text, { n: "" });
      return;
    }
    cooldownUntil = Date.now() + seconds * 1000;
    const step = () => {
      const left = Math.ceil((cooldownUntil - Date.now()) / 1000);
      if (left <= 0) {
        window.clearInterval(cooldownTimer);
        clearSendError();
        updateSendable();
        return;
      }
      sendError.textContent = fmt(text, { n: left });
      updateSendable();
    };
    cooldownTimer = window.setInterval(step, 250);
    step();
  };
  let hintTimer = null;
  const slowCooldown = (seconds) => {
    window.clearInterval(hintTimer);
    const until = Date.now() + seconds * 1000;
    cooldownUntil = Math.max(cooldownUntil, until);
    const step = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      sendHint.hidden = left <= 0;
      sendHint.textContent = left > 0 ? fmt(T.slow_wait, { n: left }) : "";
      if (left <= 0) window.clearInterval(hintTimer);
      updateSendable();
    };
    hintTimer = window.setInterval(step, 250);
    step();
  };
  const updateSendable = () => {
    input.disabled = muted;
    input.placeholder = muted ? T.muted_placeholder : T.placeholder;
    submitButton.disabled = muted || Date.now() < cooldownUntil;
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (muted) return showSendError(T.error_muted);
    if (Date.now() < cooldownUntil) return;
    readStyle();
    const clientId = newClientId();
    const sent = send({
      type: "send",
      text,
      mode: sendStyle.mode,
      color: sendStyle.color,
      size: sendStyle.size,
      video_time: Math.round(videoTime() * 1000) / 1000,
      client_id: clientId,
    });
    if (!sent) return showSendError(T.error_offline);
    expecting = "send";
    pendingSends.set(clientId, text);
    clearSendError();
    input.value = "";
    updateCounter();
  });

  const ERRORS_WITH_WAIT = new Set(["rate_limited", "slow_mode"]);
  const sendErrorText = (error) => T[`error_${error.code}`] || error.detail || T.error_generic;

  // --- Questions
  let question = null; // { data, card, timer, ... } for the card on screen
  let pendingAnswer = false;

  const optionsOf = (q) => {
    if (q.options?.length) return q.options;
    if (q.question_kind === "true_false") return [{ id: "true", text: T.true }, { id: "false", text: T.false }];
    return [];
  };
  const optionLabel = (o) => (o.html !== undefined ? el("span", { class: "option-html", html: o.html }) : el("span", { text: o.text }));

  const answerWidget = (q) => {
    const answerKind = q.kind === "poll" ? "poll" : q.question_kind;
    const name = "answer";
    const radios = (type) => el("div", { class: "answer-options" }, optionsOf(q).map((o) => {
      const id = `lq${q.id}-${o.id}`;
      return el("div", { class: "answer-option", "data-option": o.id }, [
        el("input", { type, id, name, value: o.id }),
        el("label", { for: id }, [optionLabel(o)]),
      ]);
    }));
    switch (answerKind) {
      case "single_choice":
      case "poll":
      case "true_false":
        return radios("radio");
      case "multiple_choice":
        return radios("checkbox");
      case "numeric": {
        const parts = [el("input", { type: "text", name, inputmode: "decimal", autocomplete: "off", maxlength: "40", "aria-label": T.number })];
        if (q.unit) parts.push(el("input", { type: "text", name: "unit", autocomplete: "off", maxlength: "20", size: "6", placeholder: q.unit, "aria-label": T.unit }));
        return el("div", { class: "answer-numeric" }, parts);
      }
      case "short_text":
        return el("input", { type: "text", name, autocomplete: "off", maxlength: "1000", "aria-label": T.your_answer, class: "answer-text" });
      case "ordering": {
        const list = el("ol", { class: "answer-ordering" }, optionsOf(q).map((o) => el("li", { "data-option": o.id }, [
          el("input", { type: "hidden", name, value: o.id }),
          optionLabel(o),
          el("span", { class: "order-buttons" }, [
            el("button", { type: "button", class: "button-small button-secondary", "data-move": "-1", "aria-label": T.move_up, text: "↑" }),
            el("button", { type: "button", class: "button-small button-secondary", "data-move": "1", "aria-label": T.move_down, text: "↓" }),
          ]),
        ])));
        list.addEventListener("click", (event) => {
          const button = event.target.closest("button[data-move]");
          if (!button || button.disabled) return;
          const item = button.closest("li");
          const up = button.dataset.move === "-1";
          const sibling = up ? item.previousElementSibling : item.nextElementSibling;
          if (!sibling) return;
          if (up) sibling.before(item);
          else sibling.after(item);
          button.focus();
          announce(fmt(T.moved, { n: [...list.children].indexOf(item) + 1 }));
        });
        return list;
      }
      default:
        return el("p", { class: "empty", text: T.unsupported });
    }
  };

  const ids = (q) => new Map(optionsOf(q).map((o) => [String(o.id), o.id]));
  const readAnswer = (q, card) => {
    const answerKind = q.kind === "poll" ? "poll" : q.question_kind;
    const byId = ids(q);
    const checked = [...card.querySelectorAll('input[name="answer"]:checked')].map((i) => byId.get(i.value) ?? i.value);
    switch (answerKind) {
      case "single_choice":
      case "poll":
        return checked.length ? { choice: checked[0] } : null;
      case "multiple_choice":
        return checked.length ? { choices: checked } : null;
      case "true_false": {
        const box = card.querySelector('input[name="answer"]:checked');
        return box ? { value: box.value === "true" } : null;
      }
      case "numeric": {
        const value = card.querySelector('input[name="answer"]').value.trim();
        const unit = card.querySelector('input[name="unit"]')?.value.trim() || "";
        return value ? { value, unit } : null;
      }
      case "short_text": {
        const text = card.querySelector('input[name="answer"]').value;
        return text.trim() ? { text } : null;
      }
      case "ordering":
        return { order: [...card.querySelectorAll('input[name="answer"]')].map((i) => byId.get(i.value) ?? i.value) };
      default:
        return null;
    }
  };

  /** Puts a given answer (yours, on reconnect) back into the inputs. */
  const writeAnswer = (q, card, answer) => {
    if (!answer) return;
    const picked = new Set([answer.choice, ...(answer.choices || [])].filter((v) => v !== undefined).map(String));
    if (answer.value !== undefined && q.question_kind === "true_false") picked.add(String(answer.value));
    for (const box of card.querySelectorAll('input[name="answer"][type="radio"], input[name="answer"][type="checkbox"]')) {
      box.checked = picked.has(box.value);
    }
    const textBox = card.querySelector('input[name="answer"][type="text"]');
    if (textBox) textBox.value = answer.value ?? answer.text ?? "";
    const unit = card.querySelector('input[name="unit"]');
    if (unit) unit.value = answer.unit ?? "";
    const list = card.querySelector(".answer-ordering");
    if (list && Array.isArray(answer.order)) {
      for (const id of answer.order) {
        const item = list.querySelector(`li[data-option="${CSS.escape(String(id))}"]`);
        if (item) list.append(item);
      }
    }
  };

  const tallyView = (q) => {
    const counted = q.kind === "poll" || ["single_choice", "multiple_choice", "true_false"].includes(q.question_kind);
    const rowsFor = (counted ? optionsOf(q) : []).map((o) => el("li", { class: "tally-row", "data-option": o.id }, [
      el("span", { class: "tally-label" }, [optionLabel(o)]),
      el("span", { class: "tally-bar", "aria-hidden": "true" }, [el("span", { class: "tally-fill" })]),
      el("span", { class: "tally-count", text: "0" }),
    ]));
    return el("div", { class: "tally" }, [
      el("p", { class: "tally-answered", role: "status", text: fmt(T.answered_count, { n: 0 }) }),
      el("ul", { class: "tally-rows" }, rowsFor),
    ]);
  };
  const updateTally = (card, tally, q) => {
    const box = card.querySelector(".tally");
    if (!box || !tally) return;
    const counts = tally.counts || {};
    const answered = tally.answered ?? 0;
    box.querySelector(".tally-answered").textContent = tally.correct === null || tally.correct === undefined
      ? fmt(T.answered_count, { n: answered })
      : fmt(T.answered_correct, { n: answered, correct: tally.correct });
    const list = box.querySelector(".tally-rows");
    for (const key of Object.keys(counts)) {
      if (!list.querySelector(`[data-option="${CSS.escape(key)}"]`)) {
        list.append(el("li", { class: "tally-row", "data-option": key }, [
          el("span", { class: "tally-label", text: key === "true" ? T.true : key === "false" ? T.false : key }),
          el("span", { class: "tally-bar", "aria-hidden": "true" }, [el("span", { class: "tally-fill" })]),
          el("span", { class: "tally-count", text: "0" }),
        ]));
      }
    }
    const most = Math.max(1, answered, ...Object.values(counts).map(Number));
    for (const row of list.querySelectorAll(".tally-row")) {
      const count = Number(counts[row.dataset.option] ?? 0);
      row.querySelector(".tally-count").textContent = String(count);
      row.querySelector(".tally-fill").style.setProperty("--share", String(count / most));
    }
    if (q) q.tally = tally;
  };

  const setQuestionStatus = (text) => {
    if (question) question.card.querySelector(".question-status").textContent = text;
  };
  const lockQuestion = (reason) => {
    if (!question) return;
    const { card } = question;
    card.classList.add("is-locked");
    for (const control of card.querySelectorAll(".question-form input, .question-form button")) control.disabled = true;
    if (reason) setQuestionStatus(reason);
  };
  const stopCountdown = () => {
    if (!question) return;
    window.clearInterval(question.timer);
    question.card.querySelector(".question-countdown").textContent = "0:00";
    question.card.querySelector(".question-time-fill").style.setProperty("--share", "0");
  };

  const showQuestion = (q) => {
    if (question && same(question.data.id, q.id)) {
      // Same question again (a reconnect): keep what was typed, refresh the rest.
      question.data = { ...question.data, ...q };
      applyQuestionState(q);
      return;
    }
    if (question) window.clearInterval(question.timer);
    if (q.server_now) serverOffset = Date.parse(q.server_now) - Date.now();
    const isPoll = q.kind === "poll";
    const titleId = `live-question-title-${q.id}`;
    const card = el("section", { class: "live-question card", "data-question": q.id, "data-kind": q.kind, "aria-labelledby": titleId }, [
      el("header", { class: "question-head" }, [
        el("h2", { id: titleId, class: "question-title", text: isPoll ? T.poll : T.question }),
        el("span", { class: "question-countdown", role: "timer", "aria-label": T.time_left, text: clockText(q.seconds) }),
      ]),
      el("div", { class: "question-time", "aria-hidden": "true" }, [el("span", { class: "question-time-fill" })]),
      el("div", { class: "prose question-stem", html: q.stem_html || "" }),
    ]);
    if (canModerate) {
      card.append(
        tallyView(q),
        el("div", { class: "question-tools" }, [
          el("button", { type: "button", class: "button-small reveal-question", text: T.reveal }),
          el("button", { type: "button", class: "button-small button-secondary close-question", text: T.close }),
        ]),
        el("p", { class: "question-status", role: "status" }),
      );
      card.querySelector(".reveal-question").addEventListener("click", () => {
        expecting = "moderate";
        send({ type: "question.reveal", id: q.id });
      });
      card.querySelector(".close-question").addEventListener("click", () => {
        expecting = "moderate";
        send({ type: "question.close", id: q.id });
      });
    } else {
      const formBox = el("form", { class: "question-form", novalidate: true }, [
        el("fieldset", { class: "question-answer" }, [el("legend", { class: "visually-hidden", text: T.your_answer }), answerWidget(q)]),
        el("div", { class: "question-actions" }, [
          el("button", { type: "submit", class: "question-submit", text: isPoll ? T.vote : T.submit_answer }),
          el("span", { class: "question-status", role: "status" }),
        ]),
        el("p", { class: "question-error", role: "alert", hidden: true }),
      ]);
      formBox.addEventListener("submit", (event) => {
        event.preventDefault();
        const answer = readAnswer(q, card);
        const errorBox = card.querySelector(".question-error");
        if (!answer) {
          errorBox.textContent = T.choose_answer;
          errorBox.hidden = false;
          return;
        }
        errorBox.hidden = true;
        if (!send({ type: "answer", question: q.id, answer })) {
          errorBox.textContent = T.error_offline;
          errorBox.hidden = false;
          return;
        }
        question.mine = answer;
        expecting = "answer";
        pendingAnswer = true;
        card.querySelector(".question-submit").disabled = true;
        setQuestionStatus(T.sending_answer);
      });
      card.append(formBox);
    }
    card.append(
      el("div", { class: "question-result", hidden: true }),
      el("div", { class: "prose question-explanation", hidden: true }),
    );
    questionSlot.replaceChildren(card);
    question = { data: q, card, timer: null, mine: q.your_answer ?? null, closed: false };
    if (!canModerate) writeAnswer(q, card, q.your_answer);

    const closes = Date.parse(q.closes_at);
    const total = Math.max(1, (q.seconds || 1) * 1000);
    const countdown = card.querySelector(".question-countdown");
    const fill = card.querySelector(".question-time-fill");
    const current = question;
    const step = () => {
      const left = Math.max(0, closes - (Date.now() + serverOffset));
      countdown.textContent = clockText(Math.ceil(left / 1000));
      countdown.classList.toggle("is-low", left <= 5000);
      fill.style.setProperty("--share", String(left / total));
      if (left <= 0) {
        window.clearInterval(current.timer);
        if (!current.closed && question === current) lockQuestion(current.data.answered ? T.answer_received : T.time_up);
      }
    };
    if (Number.isFinite(closes)) {
      question.timer = window.setInterval(step, 250);
      step();
    }
    announce(fmt(isPoll ? T.new_poll : T.new_question, { n: q.seconds }));
    applyQuestionState(q);
  };

  const applyQuestionState = (q) => {
    if (canModerate && q.tally) updateTally(question.card, q.tally, question.data);
    if (q.answered) {
      question.data.answered = true;
      if (q.your_answer) question.mine = q.your_answer;
      lockQuestion(T.answer_received);
    }
    if (q.revealed) reveal({ id: q.id, ...q.revealed });
    else if (Number.isFinite(Date.parse(q.closes_at)) && Date.parse(q.closes_at) <= Date.now() + serverOffset) closeQuestion();
  };

  const closeQuestion = () => {
    if (!question) return;
    question.closed = true;
    stopCountdown();
    question.card.classList.add("is-closed");
    lockQuestion(question.data.answered ? T.closed_answered : T.closed);
    if (canModerate) question.card.querySelector(".close-question").disabled = true;
  };

  /** Whether your answer matches the revealed one, when that can be told here (null if not). */
  const judge = (q, mine, correct, payload) => {
    const verdict = payload.you?.correct ?? payload.your_correct;
    if (typeof verdict === "boolean") return verdict;
    if (!mine || !correct || q.kind === "poll") return null;
    const set = (v) => [...(v || [])].map(String).sort().join("|");
    switch (q.question_kind) {
      case "single_choice":
        return same(mine.choice, correct.choice ?? correct.choices?.[0]);
      case "multiple_choice":
        return set(mine.choices) === set(correct.choices);
      case "true_false":
        return mine.value === correct.value;
      case "ordering":
        return (mine.order || []).map(String).join("|") === (correct.order || []).map(String).join("|");
      default:
        return null; // numeric tolerance, accepted spellings: only the server can tell
    }
  };

  const reveal = (payload) => {
    if (!question || !same(question.data.id, payload.id)) return;
    const q = question.data;
    const { card } = question;
    q.revealed = payload;
    closeQuestion();
    card.classList.add("is-revealed");
    const correct = payload.correct || {};
    const correctIds = new Set(
      [correct.choice, ...(correct.choices || []), ...(typeof correct.value === "boolean" ? [correct.value] : [])]
        .filter((v) => v !== undefined && v !== null)
        .map(String),
    );
    const counts = payload.counts || {};
    const answered = payload.answered ?? Object.values(counts).reduce((a, b) => a + Number(b), 0);
    const most = Math.max(1, answered, ...Object.values(counts).map(Number));
    const mine = question.mine;
    const minePicked = new Set([mine?.choice, ...(mine?.choices || []), ...(typeof mine?.value === "boolean" ? [mine.value] : [])].filter((v) => v !== undefined && v !== null).map(String));

    // Every option: correct ones marked, yours marked, and how many picked it.
    for (const option of card.querySelectorAll(".answer-option, .tally-row")) {
      const key = option.dataset.option;
      const isCorrect = correctIds.has(key);
      option.classList.toggle("is-correct", isCorrect);
      option.classList.toggle("is-yours", minePicked.has(key));
      option.querySelector(".option-verdict")?.remove();
      const notes = [];
      if (isCorrect) notes.push(T.correct_option);
      if (minePicked.has(key)) notes.push(T.your_choice);
      if (key in counts && option.classList.contains("answer-option")) notes.push(fmt(T.picked_by, { n: counts[key] }));
      if (notes.length) option.append(el("span", { class: "option-verdict", text: notes.join(" · ") }));
      if (key in counts && option.classList.contains("answer-option")) {
        option.style.setProperty("--share", String(Number(counts[key]) / most));
        option.classList.add("has-share");
      }
    }
    if (canModerate) updateTally(card, { answered, correct: payload.correct_count ?? q.tally?.correct ?? null, counts }, q);

    const result = card.querySelector(".question-result");
    const parts = [];
    const verdict = judge(q, mine, payload.correct, payload);
    if (!canModerate && q.kind !== "poll") {
      if (!mine) parts.push(el("p", { class: "verdict", text: T.not_answered }));
      else if (verdict === true) parts.push(el("p", { class: "verdict is-right", text: T.you_right }));
      else if (verdict === false) parts.push(el("p", { class: "verdict is-wrong", text: T.you_wrong }));
    }
    // Answers that are not options: say them in words.
    if (q.question_kind === "numeric" && correct.value !== undefined) {
      parts.push(el("p", { text: fmt(T.correct_is, { answer: `${correct.value}${correct.unit ? ` ${correct.unit}` : ""}` }) }));
      if (mine && !canModerate) parts.push(el("p", { text: fmt(T.yours_is, { answer: `${mine.value}${mine.unit ? ` ${mine.unit}` : ""}` }) }));
    }
    if (q.question_kind === "short_text" && (correct.text !== undefined || correct.texts || correct.accepted)) {
      const accepted = [correct.text, ...(correct.texts || []), ...(correct.accepted || [])].filter((v) => v !== undefined);
      parts.push(el("p", { text: fmt(T.correct_is, { answer: accepted.join(" / ") }) }));
    }
    if (q.question_kind === "ordering" && Array.isArray(correct.order)) {
      const byId = new Map(optionsOf(q).map((o) => [String(o.id), o]));
      parts.push(el("p", { text: T.correct_order }), el("ol", { class: "correct-order" }, correct.order.map((id) => {
        const o = byId.get(String(id));
        return el("li", {}, [o ? optionLabel(o) : el("span", { text: String(id) })]);
      })));
    }
    if (q.kind === "poll" || canModerate) parts.push(el("p", { class: "helptext", text: fmt(T.answered_count, { n: answered }) }));
    result.replaceChildren(...parts);
    result.hidden = !parts.length;
    const explanation = card.querySelector(".question-explanation");
    if (payload.explanation_html) {
      explanation.innerHTML = payload.explanation_html;
      explanation.hidden = false;
    }
    if (canModerate) card.querySelector(".reveal-question").disabled = true;
    else card.querySelector(".question-submit").hidden = true;
    addDismiss();
    setQuestionStatus(q.kind === "poll" ? T.poll_results : T.revealed);
    announce(q.kind === "poll" ? T.poll_results : T.revealed);
  };

  const addDismiss = () => {
    if (!question || question.card.querySelector(".question-dismiss")) return;
    const current = question;
    const button = el("button", { type: "button", class: "button-small button-secondary question-dismiss", text: T.dismiss });
    button.addEventListener("click", () => {
      window.clearInterval(current.timer);
      current.card.remove();
      if (question === current) question = null;
      input.focus();
    });
    current.card.append(button);
  };

  // --- Moderator tools
  const modError = $(".mod-error");
  const showModError = (text) => {
    if (!modError) return;
    modError.textContent = text;
    modError.hidden = !text;
  };
  const slowSelect = $(".slow-mode-select");
  slowSelect?.addEventListener("change", () => {
    expecting = "moderate";
    send({ type: "slow_mode", seconds: Number(slowSelect.value) });
  });
  const pushForm = $(".push-question");
  pushForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    const bankIds = new Map((room.bank || []).map((b) => [String(b.id), b.id]));
    const picked = pushForm.elements.question.value;
    if (!picked) return;
    expecting = "moderate";
    showModError("");
    if (!send({ type: "question.push", question: bankIds.get(picked) ?? picked, seconds: Number(pushForm.elements.seconds.value) })) showModError(T.error_offline);
  });
  const pollForm = $(".push-poll");
  if (pollForm) {
    const optionList = pollForm.querySelector(".poll-options");
    const addButton = pollForm.querySelector(".add-poll-option");
    const renumber = () => {
      const items = [...optionList.children];
      items.forEach((item, i) => {
        item.querySelector("input").setAttribute("aria-label", fmt(T.option_n, { n: i + 1 }));
        item.querySelector("button").hidden = items.length <= 2;
      });
      addButton.disabled = items.length >= 6;
    };
    const addOption = (value = "") => {
      const field = el("input", { type: "text", name: "option", maxlength: "200", required: true, autocomplete: "off" });
      field.value = value;
      const remove = el("button", { type: "button", class: "button-small button-secondary", "aria-label": T.remove_option, text: "×" });
      const item = el("li", {}, [field, remove]);
      remove.addEventListener("click", () => {
        item.remove();
        renumber();
        optionList.querySelector("input")?.focus();
      });
      optionList.append(item);
      renumber();
      return field;
    };
    addOption();
    addOption();
    addButton.addEventListener("click", () => {
      if (optionList.children.length < 6) addOption().focus();
    });
    pollForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const prompt = pollForm.elements.prompt.value.trim();
      const options = [...optionList.querySelectorAll("input")].map((i) => i.value.trim()).filter(Boolean);
      if (!prompt || options.length < 2) {
        showModError(T.poll_incomplete);
        return;
      }
      expecting = "moderate";
      showModError("");
      if (!send({ type: "poll.push", prompt, options, seconds: Number(pollForm.elements.seconds.value) })) {
        showModError(T.error_offline);
        return;
      }
      pollForm.elements.prompt.value = "";
      optionList.replaceChildren();
      addOption();
      addOption();
    });
  }

  // Confusion meter: total vs confused messages per 30 s of lecture time.
  const confusionBox = $(".confusion");
  const confusion = { bucket: 30, buckets: new Map(), ready: false };
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs = {}) => {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    return node;
  };
  const renderConfusion = () => {
    if (!confusionBox) return;
    const chart = confusionBox.querySelector(".confusion-chart");
    const starts = [...confusion.buckets.keys()];
    const lastStart = Math.max(0, ...starts, replay ? 0 : Math.floor(videoTime() / confusion.bucket) * confusion.bucket);
    const n = Math.max(20, Math.floor(lastStart / confusion.bucket) + 1); // at least 10 minutes wide
    const most = Math.max(1, ...[...confusion.buckets.values()].map((b) => b.total));
    const width = Math.max(n * 6, 60);
    chart.setAttribute("viewBox", `0 0 ${width} 50`);
    const bars = [];
    for (let i = 0; i < n; i++) {
      const start = i * confusion.bucket;
      const b = confusion.buckets.get(start) || { total: 0, confused: 0 };
      const x = (i * width) / n;
      const w = Math.max(1, width / n - 1);
      const group = svg("g", { class: "confusion-bucket", "data-start": start });
      const title = svg("title");
      title.textContent = fmt(T.confusion_bucket, { from: clockText(start), to: clockText(start + confusion.bucket), confused: b.confused, total: b.total });
      const totalHeight = (b.total / most) * 48;
      const confusedHeight = (b.confused / most) * 48;
      group.append(
        title,
        svg("rect", { class: "confusion-total", x, y: 50 - totalHeight, width: w, height: totalHeight }),
        svg("rect", { class: "confusion-confused", x, y: 50 - confusedHeight, width: w, height: confusedHeight }),
      );
      bars.push(group);
    }
    chart.replaceChildren(...bars);
    // Live: the last two minutes; a replay: the whole lecture.
    const counted = [...confusion.buckets.entries()].filter(([s]) => replay || s >= lastStart - 4 * confusion.bucket).map(([, b]) => b);
    const sum = (key) => counted.reduce((a, b) => a + b[key], 0);
    confusionBox.querySelector(".confusion-summary").textContent = fmt(replay ? T.confusion_total : T.confusion_recent, { confused: sum("confused"), total: sum("total") });
    chart.setAttribute("aria-label", confusionBox.querySelector(".confusion-summary").textContent);
  };
  const renderSpikes = (spikes) => {
    const list = confusionBox.querySelector(".confusion-spikes");
    list.replaceChildren(...(spikes || []).map((spike) => {
      const label = fmt(T.spike, { from: clockText(spike.start), to: clockText(spike.end), confused: spike.confused, total: spike.total });
      const points = (spike.knowledge_points || []).join(", ");
      const head = replay
        ? el("button", { type: "button", class: "button-link spike-seek", "data-time": spike.start, text: label })
        : el("span", { text: label });
      return el("li", {}, [head, points ? el("span", { class: "spike-points", text: ` · ${points}` }) : ""]);
    }));
    list.hidden = !spikes?.length;
    confusionBox.querySelector(".confusion-spikes-empty").hidden = Boolean(spikes?.length);
  };
  const loadConfusion = async () => {
    if (!confusionBox || !room.api?.confusion) return;
    try {
      const body = await fetchJson(room.api.confusion, { bucket: 30 });
      confusion.bucket = body.bucket_seconds || 30;
      confusion.buckets = new Map((body.buckets || []).map((b) => [b.start, { total: b.total, confused: b.confused }]));
      confusion.ready = true;
      renderConfusion();
      renderSpikes(body.spikes);
    } catch {
      confusionBox.querySelector(".confusion-summary").textContent = T.confusion_failed;
    }
  };
  function confusionAdd(m) {
    if (!confusionBox || !confusion.ready) return;
    const start = Math.floor((m.video_time || 0) / confusion.bucket) * confusion.bucket;
    const b = confusion.buckets.get(start) || { total: 0, confused: 0 };
    b.total += 1;
    if (m.confused) b.confused += 1;
    confusion.buckets.set(start, b);
    renderConfusion();
  }
  confusionBox?.addEventListener("click", (event) => {
    const button = event.target.closest(".spike-seek");
    if (button && video) video.currentTime = Number(button.dataset.time);
  });
  if (confusionBox && !replay) window.setInterval(renderConfusion, 30000); // the live edge moves on

  // --- Room state shown around the player
  const setSlowMode = (seconds) => {
    slowMode = Number(seconds) || 0;
    slowNotice.hidden = !slowMode;
    slowNotice.textContent = slowMode ? fmt(T.slow_mode_on, { n: slowMode }) : "";
    if (slowSelect) {
      if (![...slowSelect.options].some((o) => Number(o.value) === slowMode)) {
        slowSelect.append(el("option", { value: slowMode, text: fmt(T.seconds_n, { n: slowMode }) }));
      }
      slowSelect.value = String(slowMode);
    }
  };
  const setMuted = (value) => {
    muted = Boolean(value);
    mutedNotice.hidden = !muted;
    updateSendable();
  };
  const setLectureState = (lecture) => {
    const previous = lectureState;
    lectureState = lecture.state || lectureState;
    if (lecture.started_at) startedAt = Date.parse(lecture.started_at);
    root.dataset.state = lectureState;
    lectureBadge.dataset.state = lectureState;
    lectureBadge.textContent = T[`state_${lectureState}`] || lectureState;
    if (previous === lectureState) return;
    const reload = () => {
      const button = el("button", { type: "button", class: "button-small placeholder-action", text: T.reload });
      button.addEventListener("click", () => window.location.reload());
      return button;
    };
    if (lectureState === "live") {
      announce(T.now_live);
      if (kind === "none") setPlaceholder(T.live_reload, reload());
      else if (video && video.readyState === 0 && kind === "hls" && hls) hls.loadSource(player.dataset.src);
    } else if (lectureState === "ended") {
      announce(T.now_ended);
      if (!replay) showPlayerNotice(T.ended_notice);
      if (kind === "none") setPlaceholder(T.ended_notice);
    }
  };

  const showConnection = (state, text) => {
    connection.dataset.state = state;
    connection.textContent = text;
  };

  // --- Socket
  let socket = null;
  let delay = 1000;
  let connectedOnce = false;
  let stopped = false;
  let lastHeard = Date.now();
  let retryTimer = null;

  const send = (frame) => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  };

  const socketUrl = () => {
    const url = new URL(room.socket, window.location.href);
    if (url.protocol === "http:") url.protocol = "ws:";
    if (url.protocol === "https:") url.protocol = "wss:";
    if (connectedOnce) url.searchParams.set("after", String(contiguous));
    return url.toString();
  };

  const handlers = {
    state(p) {
      delay = 1000;
      connectedOnce = true;
      showConnection("live", T.connected);
      if (p.lecture) setLectureState(p.lecture);
      setMuted(p.you?.muted);
      setSlowMode(p.slow_mode_seconds);
      setPinned(p.pinned || null);
      if (typeof p.viewers === "number") viewerCount.textContent = String(p.viewers);
      if (p.question) showQuestion(p.question);
      else if (question && !question.closed) closeQuestion();
      pendingAnswer = false;
    },
    backfill(p) {
      for (const id of p.hidden || []) hide(id);
      for (const m of p.messages || []) {
        noteSeq(m.seq);
        receive(m, { live: false });
      }
      seenUpTo(p.last_seq);
      if (replay) rebuildList(video.currentTime);
    },
    danmaku(m) {
      noteSeq(m.seq);
      if (known.has(String(m.id)) || hiddenIds.has(String(m.id))) return;
      receive(m, { live: true });
    },
    hidden(p) {
      noteSeq(p.seq);
      hide(p.id);
    },
    pinned(p) {
      setPinned(p.message || null);
    },
    slow_mode(p) {
      setSlowMode(p.seconds);
      announce(slowMode ? fmt(T.slow_mode_on, { n: slowMode }) : T.slow_mode_off);
    },
    muted(p) {
      mutedUsers.add(String(p.user));
      if (same(p.user, me)) {
        setMuted(true);
        announce(T.you_muted);
      }
      for (const row of chatList.querySelectorAll(`.chat-row[data-author="${CSS.escape(String(p.user))}"]`)) refreshRow(row.dataset.id);
    },
    unmuted(p) {
      mutedUsers.delete(String(p.user));
      if (same(p.user, me)) {
        setMuted(false);
        announce(T.you_unmuted);
      }
      for (const row of chatList.querySelectorAll(`.chat-row[data-author="${CSS.escape(String(p.user))}"]`)) refreshRow(row.dataset.id);
    },
    question(q) {
      showQuestion(q);
    },
    "question.tally"(p) {
      if (question && same(question.data.id, p.id)) updateTally(question.card, p, question.data);
    },
    "question.closed"(p) {
      if (question && same(question.data.id, p.id)) {
        closeQuestion();
        announce(T.closed);
      }
    },
    "question.revealed"(p) {
      reveal(p);
    },
    viewers(p) {
      viewerCount.textContent = String(p.count);
    },
    lecture(p) {
      setLectureState(p);
    },
    sent(p) {
      pendingSends.delete(p.client_id);
      if (slowMode && !canModerate) slowCooldown(slowMode);
    },
    answered(p) {
      pendingAnswer = false;
      if (question && same(question.data.id, p.question)) {
        question.data.answered = true;
        lockQuestion(T.answer_received);
      }
    },
    error(p) {
      const text = sendErrorText(p);
      const forSend = p.client_id !== undefined || (expecting === "send" && !pendingAnswer);
      if (p.code === "muted") setMuted(true);
      if (forSend) {
        const draft = pendingSends.get(p.client_id);
        pendingSends.delete(p.client_id);
        if (draft && !input.value) {
          input.value = draft; // nothing lost: the refused text comes back
          updateCounter();
        }
        showSendError(text, ERRORS_WITH_WAIT.has(p.code) ? Number(p.retry_after) || 0 : 0);
        updateSendable();
      } else if (expecting === "answer" || pendingAnswer) {
        pendingAnswer = false;
        if (question) {
          const box = question.card.querySelector(".question-error");
          if (box) {
            box.textContent = text;
            box.hidden = false;
          }
          if (p.code === "already_answered") lockQuestion(T.answer_received);
          else if (p.code === "closed") closeQuestion();
          else question.card.querySelector(".question-submit")?.removeAttribute("disabled");
        }
      } else {
        showModError(text);
      }
    },
    pong() {},
  };

  const stop = (text) => {
    stopped = true;
    showConnection("closed", text);
    submitButton.disabled = true;
  };
  // A refused handshake reaches the browser as a bare 1006, without the server's close code:
  // after a few in a row, ask the REST API whether this user may still read the lecture.
  let refusals = 0;
  const probeAccess = async () => {
    try {
      const response = await fetch(new URL(room.api.confusion, window.location.href), { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.redirected || response.status === 401 || response.status === 403) stop(T.closed_4401);
      else if (response.status === 404) stop(T.closed_4404);
    } catch {
      // Offline: keep trying.
    }
  };

  const connect = () => {
    retryTimer = null;
    if (stopped) return;
    showConnection(connectedOnce ? "reconnecting" : "connecting", connectedOnce ? T.reconnecting : T.connecting);
    socket = new WebSocket(socketUrl());
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      refusals = 0;
    });
    lastHeard = Date.now();
    socket.addEventListener("message", (event) => {
      lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      handlers[frame.type]?.(frame.payload || {});
    });
    socket.addEventListener("close", async (event) => {
      socket = null;
      if ([4401, 4403, 4404].includes(event.code)) {
        stop(T[`closed_${event.code}`]);
        return;
      }
      if (!opened && ++refusals >= 2) {
        await probeAccess();
        if (stopped) return;
      }
      showConnection("reconnecting", T.reconnecting);
      const wait = delay * (0.8 + Math.random() * 0.4);
      delay = Math.min(delay * 2, 30000);
      retryTimer = window.setTimeout(connect, wait);
    });
  };
  window.setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > 70000) socket.close(); // silent for too long: start again
    else send({ type: "ping" });
  }, 25000);
  window.addEventListener("online", () => {
    if (retryTimer !== null) {
      window.clearTimeout(retryTimer);
      delay = 1000;
      connect();
    }
  });

  // --- Start
  applySettings();
  setLectureState({ state: room.state, started_at: room.started_at });
  updateSendable();
  loadConfusion();
  connect();
}
