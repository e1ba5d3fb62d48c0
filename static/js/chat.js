// Chat over a websocket: the user's message shows at once, the reply streams in frame by
// frame. Model output is text: it is only ever set with textContent, never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  if (!root) return;
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const send = document.getElementById("chat-send");
  const typing = document.getElementById("typing");
  const waking = document.getElementById("waking");
  const errorBox = document.getElementById("chat-error");
  const badge = document.getElementById("chat-connection");
  const addressee = document.getElementById("chat-addressee");
  const strategy = document.getElementById("chat-strategy");
  const temperature = document.getElementById("chat-temperature");
  const temperatureField = document.getElementById("temperature-field");
  const temperatureValue = document.getElementById("temperature-value");
  const personaName = root.dataset.persona;

  let socket = null;
  let retries = 0;
  let conversation = root.dataset.conversation ? Number(root.dataset.conversation) : null;
  let pending = null;  // the reply bubble being streamed
  let awaiting = null;  // {text, bubble} of the message whose reply has not ended yet
  let dropped = null;  // the same, when the connection dropped before its reply ended
  let lastSent = "";

  function setConnection(text, state) {
    badge.textContent = text;
    badge.className = "badge" + (state ? " " + state : "");
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(role, text) {
    const empty = log.querySelector('[data-role="empty"]');
    if (empty) empty.remove();
    const item = document.createElement("li");
    item.className = "bubble " + role;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = role === "user" ? "You" : personaName;
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = text;
    item.append(who, body);
    log.appendChild(item);
    scrollDown();
    return item;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function busy(on) {
    send.disabled = on;
    typing.hidden = !on;
    if (on) scrollDown();
  }

  function finishReply() {
    if (pending) pending.classList.remove("streaming");
    pending = null;
    awaiting = null;
    waking.hidden = true;
    busy(false);
    input.focus();
  }

  // A message without a reply (the reply failed, or the connection dropped before it ended)
  // says so and offers to send it again.
  function markUnanswered(item, text) {
    item.classList.add("unanswered");
    const note = document.createElement("p");
    note.className = "unanswered-note";
    note.textContent = "Not answered. ";
    const again = document.createElement("button");
    again.type = "button";
    again.className = "link resend";
    again.textContent = "Resend";
    again.addEventListener("click", function () { resend(item, text); });
    note.appendChild(again);
    item.appendChild(note);
  }

  function resend(item, text) {
    if (!connected() || send.disabled) return;
    item.classList.remove("unanswered");
    item.querySelector(".unanswered-note").remove();
    showError("");
    // The server reuses whatever the first attempt saved, so nothing is stored twice.
    sendMessage(text, item, true);
  }

  function listConversation(id) {
    let list = document.getElementById("conversation-list");
    if (list && list.tagName !== "UL") {
      const fresh = document.createElement("ul");
      fresh.id = "conversation-list";
      fresh.className = "plain conversation-list";
      list.replaceWith(fresh);
      list = fresh;
    }
    if (!list || list.querySelector('a[href$="?c=' + id + '"]')) return;
    list.querySelectorAll("li.current").forEach(function (li) { li.classList.remove("current"); });
    const item = document.createElement("li");
    item.className = "current";
    const link = document.createElement("a");
    link.href = root.dataset.pageUrl + "?c=" + id;
    link.textContent = lastSent.split("\n")[0].slice(0, 60) || "New conversation";
    item.appendChild(link);
    list.prepend(item);
  }

  function rememberConversation(id) {
    listConversation(id);
    conversation = id;
    root.dataset.conversation = String(id);
    const url = root.dataset.pageUrl + "?c=" + id;
    window.history.replaceState(null, "", url);
  }

  function onFrame(frame) {
    if (frame.type === "conversation") {
      rememberConversation(frame.id);
    } else if (frame.type === "token") {
      if (!pending) {
        pending = bubble("persona", "");
        pending.classList.add("streaming");
        pending.dataset.frames = "0";
      }
      const text = pending.querySelector(".text");
      text.textContent += frame.text;
      pending.dataset.frames = String(Number(pending.dataset.frames) + 1);
      scrollDown();
    } else if (frame.type === "end") {
      if (!pending) pending = bubble("persona", "");
      pending.querySelector(".text").textContent = frame.text;
      pending.dataset.messageId = String(frame.message_id);
      finishReply();
    } else if (frame.type === "status") {
      waking.hidden = frame.state !== "waking";
    } else if (frame.type === "provenance") {
      // Where a quoted reply was said; the server sends it to the persona's owner only.
      if (pending) {
        const note = document.createElement("small");
        note.className = "provenance";
        note.textContent = frame.text;
        pending.appendChild(note);
      }
    } else if (frame.type === "notice") {
      const note = document.createElement("li");
      note.className = "chat-notice muted small";
      note.textContent = frame.text;
      log.appendChild(note);
      scrollDown();
    } else if (frame.type === "error") {
      showError(frame.error || "Something went wrong.");
      if (pending && !pending.querySelector(".text").textContent) pending.remove();
      if (awaiting) markUnanswered(awaiting.bubble, awaiting.text);
      finishReply();
    }
  }

  function connect() {
    setConnection(retries ? "Reconnecting…" : "Connecting…", "");
    socket = new WebSocket(window.DY.socketUrl(root.dataset.socketUrl));
    socket.onopen = function () {
      retries = 0;
      setConnection("Online", "ok");
      if (dropped) {
        showError("");
        markUnanswered(dropped.bubble, dropped.text);
        dropped = null;
      }
    };
    socket.onmessage = function (event) {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frame);
    };
    socket.onclose = function (event) {
      socket = null;
      waking.hidden = true;  // the next socket says again whether the model is loading
      if (awaiting) {
        dropped = awaiting;
        // A partial reply was not saved; resending brings the whole one.
        if (pending) pending.remove();
        showError("The connection dropped during the reply; reconnecting…");
        finishReply();
      }
      if (event.code === 4403 || event.code === 4404) {
        setConnection("Not available", "failed");
        showError("This chat is no longer available (the link may have been revoked).");
        send.disabled = true;
        return;
      }
      if (event.code === 4408) {
        // Closed by the server after inactivity: reconnect when the user comes back.
        setConnection("Idle", "");
        showError("");
        return;
      }
      retries += 1;
      setConnection("Offline, retrying…", "failed");
      window.setTimeout(connect, Math.min(15000, 800 * Math.pow(2, retries)));
    };
  }

  function connected() {
    if (socket && socket.readyState === WebSocket.OPEN) return true;
    showError("Not connected yet; try again in a moment.");
    return false;
  }

  function sendMessage(text, item, again) {
    lastSent = text;
    awaiting = {text: text, bubble: item};
    busy(true);
    const frame = {
      type: "message",
      text: text,
      conversation: conversation,
      addressee: addressee.value || null,
      strategy: strategy.value,
    };
    if (again) frame.resend = true;
    if (strategy.value === "sample") frame.temperature = Number(temperature.value);
    socket.send(JSON.stringify(frame));
  }

  function submit() {
    const text = input.value.trim();
    if (!text || send.disabled || !connected()) return;
    showError("");
    input.value = "";
    sendMessage(text, bubble("user", text), false);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  input.addEventListener("focus", function () {
    if (!socket && badge.textContent === "Idle") connect();
  });
  input.addEventListener("keydown", function (event) {
    if (!socket && badge.textContent === "Idle") connect();
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  strategy.addEventListener("change", function () {
    temperatureField.hidden = strategy.value !== "sample";
  });
  temperature.addEventListener("input", function () {
    temperatureValue.textContent = temperature.value;
  });

  // The server saved this message but died before replying (the page was reloaded since).
  const bubbles = log.querySelectorAll(".bubble");
  const last = bubbles[bubbles.length - 1];
  if (last && last.classList.contains("user")) {
    markUnanswered(last, last.querySelector(".text").textContent);
  }
  scrollDown();
  connect();
  input.focus();
})();
