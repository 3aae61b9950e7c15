// The study plan refreshes itself: the server pushes `plan.updated` on the user's events socket
// after every rebuild (a submitted test, a teacher's change), and the page fetches its steps
// again. After a dropped connection it reconnects with a growing delay and fetches once, in case
// an update came while it was away.

const root = document.getElementById("plan-steps");

if (root) {
  const T = JSON.parse(document.getElementById("plan-text").textContent);
  const announce = document.getElementById("plan-announce");

  const refresh = async (message) => {
    const response = await fetch(root.dataset.fragment, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    // Signed out meanwhile: the login page is not a plan (a reload shows it properly).
    if (!response.ok || response.redirected) return;
    root.innerHTML = await response.text();
    if (window.htmx) window.htmx.process(root);
    if (message) announce.textContent = message;
  };

  let delay = 1000;
  let opened = false;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/events/`);
    socket.addEventListener("open", () => {
      if (opened) refresh();
      opened = true;
      delay = 1000;
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "plan.updated") refresh(T.updated);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return; // signed out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
}
