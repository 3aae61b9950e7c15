// Notices addressed to the signed-in user on whatever page is open (`/ws/events/`): today, a
// lecture of one of their courses going live, with a link to join. Text is set as text only.
// Reconnects with a growing delay; pages with nothing to show never open the socket twice.

const region = document.getElementById("notices");

if (region) {
  const T = JSON.parse(document.getElementById("notices-text").textContent);
  const show = (payload) => {
    const notice = document.createElement("div");
    notice.className = "notice";
    notice.setAttribute("role", "status");
    const text = document.createElement("span");
    text.textContent = T.live.replace("%(course)s", payload.course).replace("%(title)s", payload.title);
    const link = document.createElement("a");
    link.className = "button-small";
    link.href = payload.url; // a path the server built
    link.textContent = T.join;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "button-link";
    close.textContent = T.dismiss;
    close.addEventListener("click", () => notice.remove());
    notice.append(text, " ", link, " ", close);
    region.append(notice);
  };

  let delay = 1000;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/events/`);
    socket.addEventListener("open", () => { delay = 1000; });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "lecture.live" && !window.location.pathname.startsWith(message.payload.url)) {
        show(message.payload);
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    });
  };
  connect();
}
