// Lesson player: resume the video where the student left it, and report study time and the
// video position to the server every 30 seconds and when the page is hidden.

const lesson = document.querySelector("article.lesson[data-progress-url]");
const HEARTBEAT_MS = 30_000;

if (lesson) {
  const url = lesson.dataset.progressUrl;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const video = lesson.querySelector("video.lesson-video");
  let activeSince = document.visibilityState === "visible" ? Date.now() : null;

  if (video) {
    const resume = Number.parseFloat(video.dataset.resume || "0");
    if (resume > 0) {
      video.addEventListener("loadedmetadata", () => {
        if (resume < video.duration - 1) video.currentTime = resume;
      }, { once: true });
    }
  }

  const send = (keepalive = false) => {
    const now = Date.now();
    const seconds = activeSince ? Math.min(300, Math.round((now - activeSince) / 1000)) : 0;
    activeSince = document.visibilityState === "visible" ? now : null;
    const body = { seconds_spent: seconds };
    if (video && Number.isFinite(video.currentTime)) body.video_position = video.currentTime;
    if (seconds === 0 && !("video_position" in body)) return;
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
      keepalive,
    }).catch(() => {}); // progress is best effort; the next heartbeat carries the time
  };

  setInterval(() => { if (activeSince) send(); }, HEARTBEAT_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") send(true);
    else activeSince = Date.now();
  });
  video?.addEventListener("pause", () => send());
}
