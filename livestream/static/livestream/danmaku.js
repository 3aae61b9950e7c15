// The danmaku overlay: comments drawn over a <video>. Scrolling comments cross right to left in
// lanes chosen so that none overlaps or catches up with the one ahead; top and bottom comments
// stay centred for a few seconds. Every comment is a Web Animation, so pausing the video pauses
// them and the playback rate carries over. The overlay has its own clock (advancing only while
// the video plays, at its rate) for comments that wait for a free lane.
//
// Text is always set with textContent; control characters become spaces so that one comment is
// always one line, and the stylesheet isolates bidi text and clips what is too long.

const SCROLL_MS = 8000;
const FIXED_MS = 4000;
const WAIT_MS = 4000; // a comment waits this long (video time) for a lane, then is dropped
const GAP_PX = 24; // space kept behind the comment ahead in a scrolling lane
const SPEEDS = { slow: 1.4, normal: 1, fast: 0.7 };
const SIZES = { small: 0.8, normal: 1, large: 1.35 };

export const DEFAULT_SETTINGS = Object.freeze({
  enabled: true,
  opacity: 1,
  area: 0.75,
  speed: "normal",
  density: 60,
  keywords: [],
  blockedModes: [],
});

/** One line of plain text: control, line and paragraph separators become spaces. */
export const cleanText = (text) => String(text ?? "").replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ");

/** Black outline for light colours, white for dark ones, so every colour stays readable. */
const shadowFor = (color) => {
  const match = /^#([0-9a-f]{6})$/i.exec(color || "");
  if (!match) return "dark";
  const n = parseInt(match[1], 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b < 90 ? "light" : "dark";
};

export class DanmakuLayer {
  /**
   * @param {HTMLElement} container the positioned layer laid over the video
   * @param {HTMLVideoElement|null} video the player it follows (null: always running)
   * @param {{live?: boolean}} options live: until the viewer first presses play, comments run
   *   on the wall clock instead of freezing with the not-yet-started video
   */
  constructor(container, video, { live = false } = {}) {
    this.container = container;
    this.video = video;
    this.live = live;
    this.settings = { ...DEFAULT_SETTINGS };
    this.items = new Map(); // id -> { el, anim, mode, lanes, width, duration }
    this.waiting = [];
    this.lanes = { scroll: [], top: [], bottom: [] };
    this.started = false;
    this.stalled = false;
    this.clock = 0;
    this.lastFrame = null;
    this.frame = null;
    this.motion = window.matchMedia("(prefers-reduced-motion: reduce)");
    this.measure();

    if (video) {
      const sync = () => this.sync();
      video.addEventListener("play", () => {
        this.started = true;
        sync();
      });
      video.addEventListener("playing", () => {
        this.stalled = false;
        sync();
      });
      video.addEventListener("waiting", () => {
        this.stalled = true;
        sync();
      });
      for (const name of ["pause", "ratechange", "ended"]) video.addEventListener(name, sync);
    }
    new ResizeObserver(() => this.measure()).observe(container);
  }

  // --- Settings and state

  configure(settings) {
    Object.assign(this.settings, settings);
    this.container.style.opacity = String(this.settings.opacity);
    this.container.hidden = !this.settings.enabled;
    if (!this.settings.enabled) this.clear();
    for (const [id, item] of this.items) {
      if (this.isBlocked(item.comment)) this.remove(id);
    }
    this.measure();
  }

  /** True when the viewer's filters (keywords, modes) hide this comment. */
  isBlocked(comment, { modes = true } = {}) {
    if (modes && this.settings.blockedModes.includes(comment.mode)) return true;
    const text = String(comment.text || "").toLocaleLowerCase();
    return this.settings.keywords.some((word) => word && text.includes(word.toLocaleLowerCase()));
  }

  get following() {
    return Boolean(this.video) && (this.started || !this.live);
  }

  get running() {
    if (!this.following) return true;
    return !this.video.paused && !this.video.ended && !this.stalled;
  }

  get rate() {
    return this.following ? this.video.playbackRate || 1 : 1;
  }

  measure() {
    const { clientWidth, clientHeight } = this.container;
    this.width = clientWidth;
    this.height = clientHeight;
    const base = Math.max(14, Math.min(30, clientHeight / 17));
    this.container.style.setProperty("--danmaku-font", `${base}px`);
    this.laneHeight = Math.ceil(base * 1.25) + 4;
    const usable = Math.max(this.laneHeight, clientHeight * this.settings.area);
    const count = Math.max(1, Math.floor(usable / this.laneHeight));
    for (const lanes of Object.values(this.lanes)) lanes.length = count;
  }

  /** Pause or resume every comment with the video and follow its playback rate. */
  sync() {
    const running = this.running;
    for (const { anim } of this.items.values()) {
      if (anim.playbackRate !== this.rate) anim.updatePlaybackRate(this.rate);
      if (running && anim.playState === "paused") anim.play();
      else if (!running && anim.playState === "running") anim.pause();
    }
    this.lastFrame = null;
    if (running && this.waiting.length) this.schedule();
  }

  // --- Adding and removing

  /**
   * Shows a comment now. Returns false when it is filtered out or already on screen; a comment
   * with no free lane waits a little, then is dropped (it stays in the chat list).
   */
  add(comment, { own = false } = {}) {
    const id = String(comment.id);
    if (!this.settings.enabled || this.items.has(id) || this.isBlocked(comment)) return false;
    if (this.waiting.some((w) => w.id === id)) return false;
    const el = document.createElement("div");
    el.className = `danmaku-item size-${SIZES[comment.size] ? comment.size : "normal"}`;
    el.dataset.id = id;
    el.dataset.shadow = shadowFor(comment.color);
    if (own) el.classList.add("is-own");
    if (/^#[0-9a-f]{6}$/i.test(comment.color || "")) el.style.color = comment.color;
    el.textContent = cleanText(comment.text);
    const mode = this.motion.matches && comment.mode === "scroll" ? "top" : comment.mode;
    el.dataset.mode = ["scroll", "top", "bottom"].includes(mode) ? mode : "scroll";
    const entry = { id, el, comment, mode: el.dataset.mode, lanes: comment.size === "large" ? 2 : 1 };
    if (!this.place(entry)) {
      entry.until = this.clock + WAIT_MS;
      this.waiting.push(entry);
      this.schedule();
    }
    return true;
  }

  remove(id) {
    const key = String(id);
    this.waiting = this.waiting.filter((w) => w.id !== key);
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    item.anim.cancel();
    item.el.remove();
    const lanes = this.lanes[item.mode];
    for (let i = 0; i < lanes.length; i++) if (lanes[i] === item) lanes[i] = null;
    if (this.waiting.length) this.schedule();
  }

  clear() {
    for (const item of this.items.values()) {
      item.anim.cancel();
      item.el.remove();
    }
    this.items.clear();
    this.waiting = [];
    for (const lanes of Object.values(this.lanes)) lanes.fill(null);
  }

  get count() {
    return this.items.size;
  }

  // --- Placement

  place(entry) {
    if (this.items.size >= this.settings.density || !this.width) return false;
    const { el, mode } = entry;
    el.style.visibility = "hidden";
    this.container.append(el);
    entry.width = el.offsetWidth;
    const lane = mode === "scroll" ? this.scrollLane(entry) : this.fixedLane(entry);
    if (lane < 0) {
      el.remove();
      el.style.visibility = "";
      return false;
    }
    const lanes = this.lanes[mode];
    for (let i = lane; i < lane + entry.lanes; i++) lanes[i] = entry;
    const offset = lane * this.laneHeight;
    if (mode === "bottom") el.style.bottom = `${offset}px`;
    else el.style.top = `${offset}px`;
    el.style.visibility = "";

    if (mode === "scroll") {
      entry.duration = SCROLL_MS * (SPEEDS[this.settings.speed] || 1);
      entry.anim = el.animate(
        [{ transform: `translateX(${this.width}px)` }, { transform: `translateX(${-entry.width}px)` }],
        { duration: entry.duration, easing: "linear", fill: "both" },
      );
    } else {
      entry.duration = FIXED_MS;
      entry.anim = el.animate([{ opacity: 1 }, { opacity: 1 }], { duration: FIXED_MS, fill: "both" });
    }
    entry.anim.playbackRate = this.rate;
    if (!this.running) entry.anim.pause();
    entry.anim.addEventListener("finish", () => this.remove(entry.id));
    this.items.set(entry.id, entry);
    return true;
  }

  /** First run of free lanes, top down, where the comment neither overlaps nor catches up. */
  scrollLane(entry) {
    const lanes = this.lanes.scroll;
    const W = this.width;
    const free = (ahead) => {
      if (!ahead || !this.items.has(ahead.id)) return true;
      const elapsed = ahead.anim.currentTime ?? 0;
      const speed = (W + ahead.width) / ahead.duration;
      if (elapsed * speed < ahead.width + GAP_PX) return false; // its tail is not in yet
      // The newcomer (same duration, so faster when longer) must not reach the left edge
      // before the one ahead has left it.
      const duration = SCROLL_MS * (SPEEDS[this.settings.speed] || 1);
      return (W * duration) / (W + entry.width) >= ahead.duration - elapsed;
    };
    // Lanes under a top comment only when there is no other choice.
    const top = this.lanes.top;
    const clear = this.firstRun(lanes, entry.lanes, (item, i) => free(item) && !this.alive(top[i]));
    return clear >= 0 ? clear : this.firstRun(lanes, entry.lanes, free);
  }

  /** Top comments stack down from the top, bottom ones up from the bottom. */
  fixedLane(entry) {
    return this.firstRun(this.lanes[entry.mode], entry.lanes, (item) => !this.alive(item));
  }

  alive(item) {
    return Boolean(item) && this.items.has(item.id);
  }

  firstRun(lanes, size, free) {
    for (let start = 0; start + size <= lanes.length; start++) {
      let ok = true;
      for (let i = start; i < start + size && ok; i++) ok = free(lanes[i], i);
      if (ok) return start;
    }
    return -1;
  }

  /** Retries waiting comments every frame while there are any, on the overlay's own clock. */
  schedule() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame((now) => {
      this.frame = null;
      if (this.running && this.lastFrame !== null) this.clock += (now - this.lastFrame) * this.rate;
      this.lastFrame = now;
      if (!this.running) return; // sync() restarts the loop on play
      const still = [];
      for (const entry of this.waiting) {
        if (this.place(entry)) continue;
        if (entry.until > this.clock) still.push(entry);
      }
      this.waiting = still;
      if (still.length) this.schedule();
      else this.lastFrame = null;
    });
  }
}

/**
 * Comments of a recording ordered by video time, for replay: add() merges fetched windows and
 * live arrivals (deduplicated by id); due(from, to) returns those with from < video_time <= to.
 */
export class ReplayTimeline {
  constructor() {
    this.list = [];
    this.ids = new Set();
  }

  add(comment) {
    const id = String(comment.id);
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    const at = this.index(comment.video_time, true);
    this.list.splice(at, 0, comment);
    return true;
  }

  remove(id) {
    const key = String(id);
    if (!this.ids.delete(key)) return;
    this.list = this.list.filter((c) => String(c.id) !== key);
  }

  /** First index whose video_time is > t (after) or >= t (not after). */
  index(t, after = false) {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = this.list[mid].video_time;
      if (after ? v <= t : v < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  due(from, to) {
    return this.list.slice(this.index(from, true), this.index(to, true));
  }

  upTo(t, limit) {
    const end = this.index(t, true);
    return this.list.slice(Math.max(0, end - limit), end);
  }
}
