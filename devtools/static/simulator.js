// The browser simulator's page (devtools/templates/simulator.html): who is chatting, sending their actions to
// /simulator/api/send, and showing what the fake LINE delivered to them, with its quick replies, loading
// animation and rich menu. Cards are drawn by cards.js, the rich menu by richmenu.js, the Thai date picker
// by thaidate.js.
"use strict";
// Message text is only ever put into the page with textContent (a link's too), never innerHTML.
const $ = (selector) => document.querySelector(selector);
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = String(text);
  return node;
}
// Pictures and links open only from the web: javascript:, data: and the like are never followed.
const safeUrl = (url) => (typeof url === "string" && /^https?:\/\//i.test(url) ? url : null);

const user = { id: null, name: null, after: 0, ready: null, polling: false };

// ----- who is chatting -------------------------------------------------------------
async function startAs(name) {
  const response = await fetch("/simulator/api/user?display_name=" + encodeURIComponent(name));
  const data = await response.json();
  Object.assign(user, { id: data.user_id, name: data.display_name });
  localStorage.setItem("simulator.name", user.name);
  localStorage.setItem("simulator.userId", user.id);
  $("#uid").textContent = "user id: " + user.id;
  $("#messages").replaceChildren();
  setQuickReplies(null);
  note("แชทในชื่อ " + user.name);
  // Earlier messages to this user are not shown again: start after them.
  user.ready = getMessages(0).then((data) => { user.after = data.next; });
  await Promise.all([user.ready, loadRichMenu()]);
  for (const id of ["#text", "#send", "#follow", "#attach"]) $(id).disabled = false;
  $("#text").focus();
  if (!user.polling) { user.polling = true; poll(); }
}

async function getMessages(after) {
  const url = "/simulator/api/messages?user_id=" + encodeURIComponent(user.id) + "&after=" + after;
  const response = await fetch(url);
  return response.json();
}

async function poll() {
  const id = user.id;
  try {
    await user.ready;
    const data = await getMessages(user.after);
    if (id === user.id) {
      data.messages.forEach(showBotMessage);
      user.after = data.next;
      setTyping(data.loading > 0);
      if (data.rich_menu !== menu.id && !menu.loading) loadRichMenu();
    }
  } catch (error) {
    setStatus("ติดต่อเซิร์ฟเวอร์ไม่ได้: " + error);
  }
  setTimeout(poll, 500);
}

// ----- sending ---------------------------------------------------------------------
// payload: one of {text}, {postback, params}, {location}, {image: true}, {follow: true}; shown: the user's
// message as the chat shows it ({text}), or null when the action puts nothing in the chat.
async function send(payload, shown) {
  if (!user.id) return;
  await user.ready;
  hidePanels();
  if (shown) {
    setQuickReplies(null);  // the chips' message is no longer the chat's last
    showUserMessage(shown);
  }
  try {
    const response = await fetch("/simulator/api/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user_id: user.id, display_name: user.name, ...payload }),
    });
    const data = await response.json();
    if (!response.ok) setStatus("ส่งไม่สำเร็จ (" + response.status + "): " + (data.error || ""));
    else if (data.webhook_status !== 200) setStatus("webhook ตอบกลับ " + data.webhook_status + " " + data.webhook_body);
    else setStatus("");
  } catch (error) {
    setStatus("ส่งไม่สำเร็จ: " + error);
  }
}

// Quick replies as LINE shows them (developers.line.biz/en/docs/messaging-api/using-quick-reply/, and the
// reference's quickReply: "If the user receives multiple message objects, the quickReply property of the
// last message object is displayed"): the chips belong to the chat's last message. A new message from the
// bot, reply or push alike, brings its own chips or none; the user's own message (typed, a chip, a menu
// button, a postback with displayText) ends them. Tapping a chip ends them too, except a camera, camera
// roll, location or date chip: its chips stay while its picker is open, and cancelling leaves them.
// Whatever puts nothing in the chat keeps them: a postback without displayText from a card or the rich
// menu, opening a link, showing or hiding the menu, the loading animation.
const CHIPS_STAY_FOR = new Set(["camera", "cameraRoll", "location", "datetimepicker"]);

function doAction(action, fromChip = false) {
  if (!action) return;
  if (fromChip && !CHIPS_STAY_FOR.has(action.type)) setQuickReplies(null);
  switch (action.type) {
    case "message":
      return send({ text: action.text }, { text: action.text });
    case "postback": {
      const shown = action.displayText || action.text;
      return send({ postback: action.data }, shown ? { text: shown } : null);
    }
    case "datetimepicker":
      return askDate(action);
    case "location":
      return showPanel("#location-form");
    case "camera":
    case "cameraRoll":
      return send({ image: true }, { text: "📷 รูปภาพ" });
    case "uri":
      return openUri(action.uri);
    case "clipboard":
      navigator.clipboard && navigator.clipboard.writeText(action.clipboardText || "");
      return note("คัดลอกแล้ว");
    default:
      return note("ตัวจำลองยังไม่รองรับ action แบบ " + action.type);
  }
}

// A URI action: a LIFF URL opens its LIFF app over the chat; a web page opens in a new tab (LINE's in-app
// browser); tel: would start a call on a phone.
function openUri(uri) {
  const liffUrl = LIFF_URL.exec(uri || "");
  if (liffUrl) return openLiff(...liffUrl.slice(1));
  const url = safeUrl(uri);
  if (url) return void window.open(url, "_blank", "noopener");
  const phone = /^tel:([0-9+*#-]+)$/i.exec(uri || "");
  if (!phone) return void note("ลิงก์นี้เปิดในตัวจำลองไม่ได้: " + uri);
  const link = el("a", "", phone[1]);
  link.href = "tel:" + phone[1];
  note("โทรออก ", link);
}

// ----- LIFF apps: the simulator plays LINE's part (devtools/static/fake-liff.js plays the SDK's) ----------
// https://liff.line.me/<LIFF ID>[/path][?query][#fragment]: LINE opens the app's endpoint URL with the rest
// in liff.state, which the SDK's init() puts back in the address. The simulated user goes with it.
const LIFF_URL = /^https:\/\/liff\.line\.me\/([^/?#]+)([^?#]*)(\?[^#]*)?(#.*)?$/;
function openLiff(liffId, path, query, fragment) {
  if (!liffId || liffId !== document.body.dataset.liffId) return void note("ไม่มีแอป LIFF นี้ในตัวจำลอง: " + liffId);
  const url = new URL(document.body.dataset.liffEndpoint, location.origin);
  const rest = (path === "/" ? "" : path) + (query || "") + (fragment || "");
  if (rest) url.searchParams.set("liff.state", rest);
  url.searchParams.set("simulator_user", user.id);
  url.searchParams.set("simulator_name", user.name);
  $("#liff-title").textContent = "LIFF";
  $("#liff-frame").src = url.href;
  $("#liff").hidden = false;
}
function closeLiff() {
  $("#liff").hidden = true;
  $("#liff-frame").src = "about:blank";
}
$("#liff-frame").addEventListener("load", () => {
  const page = $("#liff-frame").contentDocument;  // the same server's page
  if (page && page.title) $("#liff-title").textContent = page.title;
});
$("#liff-close").addEventListener("click", closeLiff);
// liff.closeWindow() in the app (fake-liff.js) asks the page that opened it.
window.addEventListener("message", (event) => {
  if (event.origin === location.origin && event.source === $("#liff-frame").contentWindow &&
      event.data && event.data.type === "liff.closeWindow") closeLiff();
});

let pendingDate = null;
function askDate(action) {
  const mode = ["date", "time", "datetime"].includes(action.mode) ? action.mode : "date";
  // A date is picked in Thai (thaidate.js); a time, or a date with a time, with the browser's own input.
  $("#thai-date").hidden = mode !== "date";
  const input = $("#date-value");
  input.hidden = input.disabled = mode === "date";
  if (mode === "date") {
    openThaiDatePicker(action);
  } else {
    input.type = mode === "datetime" ? "datetime-local" : mode;
    input.value = action.initial || "";
    for (const bound of ["min", "max"]) {
      if (action[bound]) input[bound] = action[bound]; else input.removeAttribute(bound);
    }
    $("#date-range").textContent = "";
  }
  $("#date-title").textContent = action.label || "เลือกวันที่";
  pendingDate = { data: action.data, mode };
  showPanel("#date-form");
}

function showPanel(selector) {
  hidePanels();
  $(selector).hidden = false;
}
function hidePanels() {
  for (const form of document.querySelectorAll(".panel")) form.hidden = true;
}

// ----- showing messages -------------------------------------------------------------
const list = $("#messages");
// The newest message stays in sight, as in LINE: when the list's box shrinks (chips, a panel or the rich
// menu appear) or a message grows (a picture loads), a list scrolled to its end is scrolled to it again.
// Only the user scrolling up unpins it: a scroll event that follows the page's own scrolling can come
// after the box has shrunk, and would otherwise find the list short of its end.
let atEnd = true;
let userInputAt = -Infinity;
for (const kind of ["wheel", "touchmove", "keydown", "pointerdown"]) {
  list.addEventListener(kind, () => { userInputAt = performance.now(); }, { passive: true });
}
list.addEventListener("scroll", () => {
  const closeToEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  if (closeToEnd || performance.now() - userInputAt < 1000) atEnd = closeToEnd;
});
const keepEnd = new ResizeObserver(() => { if (atEnd) list.scrollTop = list.scrollHeight; });
keepEnd.observe(list);

function toEnd(node) {
  list.insertBefore(node, $("#typing"));  // the loading animation stays last
  keepEnd.observe(node);
  atEnd = true;
  list.scrollTop = list.scrollHeight;
}

function clock() {
  return new Date().toLocaleTimeString("th-TH", { hour: "2-digit", minute: "2-digit" });
}
function addRow(side, content) {
  const row = el("div", "row " + side);
  if (side === "bot") row.append(el("div", "avatar", "🎒"));
  row.append(content, el("span", "time", clock()));
  toEnd(row);
}
function note(text, link) {
  const node = el("div", "note", text);
  if (link) node.append(link);
  toEnd(node);
}
function setStatus(text) { $("#status").textContent = text; }

function showUserMessage(shown) {
  addRow("user", el("div", "bubble", shown.text));
}

function showBotMessage(message) {
  setTyping(false);  // LINE ends the loading animation when a message arrives
  addRow("bot", renderMessage(message));
  setQuickReplies(message.quickReply);
}

// LINE's loading animation, while the fake says it is on in this chat.
function setTyping(on) {
  const shown = $("#typing");
  if (!on) return void (shown && shown.remove());
  if (shown) return;
  const row = el("div", "row bot typing");
  row.id = "typing";
  row.setAttribute("aria-label", "กำลังพิมพ์…");
  const bubble = el("div", "bubble");
  bubble.append(el("span", "dot"), el("span", "dot"), el("span", "dot"));
  row.append(el("div", "avatar", "🎒"), bubble);
  toEnd(row);
}

// LINE turns the web addresses in a text message into links. A URL is made of RFC 3986's characters, so Thai
// text written right after one is not taken into it; a full stop or bracket that ends a sentence stays text.
const URL_PATTERN = /https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/gi;
function textBubble(text) {
  const bubble = el("div", "bubble");
  let done = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(/[.,;:!?'")\]]+$/, "");
    if (!/^https?:\/\/./i.test(url)) continue;
    const link = el("a", "link", url);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    if (LIFF_URL.test(url)) link.addEventListener("click", (event) => { event.preventDefault(); openUri(url); });
    bubble.append(text.slice(done, match.index), link);
    done = match.index + url.length;
  }
  bubble.append(text.slice(done));
  return bubble;
}

function renderMessage(m) {
  switch (m.type) {
    case "text":
    case "textV2":
      return textBubble(m.text || "");
    case "image": {
      const url = safeUrl(m.previewImageUrl) || safeUrl(m.originalContentUrl);
      const bubble = el("div", "bubble");
      if (url) { const img = el("img"); img.src = url; img.alt = "รูปภาพ"; bubble.append(img); }
      else bubble.textContent = "[รูปภาพ]";
      return bubble;
    }
    case "sticker":
      return el("div", "bubble", "[สติกเกอร์]");
    case "flex":
      return renderFlex(m.contents || {}, m.altText);
    case "template":
      return renderTemplate(m);
    default:
      return el("div", "bubble", "[" + m.type + "] " + (m.altText || ""));
  }
}

function setQuickReplies(quickReply) {
  const bar = $("#quick-replies");
  bar.replaceChildren();
  for (const item of (quickReply && quickReply.items) || []) {
    const action = item.action || {};
    const chip = el("button", "chip", action.label || action.text || action.type);
    chip.type = "button";
    chip.addEventListener("click", () => doAction(action, true));
    bar.append(chip);
  }
}

// ----- wiring ---------------------------------------------------------------------------
$("#who").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("#name").value.trim();
  if (name) startAs(name);
});
$("#follow").addEventListener("click", () => {
  note("คุณเพิ่มบอทเป็นเพื่อนแล้ว");
  send({ follow: true }, null);
});
$("#composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#text");
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  send({ text }, { text });
});
// A file sent in the chat (a school's class list): its bytes go to the fake LINE, which serves them as
// LINE's content API does; the chat shows its name as LINE does.
$("#attach").addEventListener("click", () => $("#file").click());
$("#file").addEventListener("change", () => {
  const picked = $("#file").files[0];
  $("#file").value = "";
  if (!picked) return;
  const reader = new FileReader();
  reader.addEventListener("load", () => {
    const data = String(reader.result).split(",", 2)[1] || "";
    send({ file: { name: picked.name, data } }, { text: "📎 " + picked.name });
  });
  reader.readAsDataURL(picked);
});
$("#location-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const location = { latitude: Number($("#lat").value), longitude: Number($("#lng").value),
                     address: $("#address").value.trim() };
  send({ location }, { text: "📍 " + (location.address || location.latitude + ", " + location.longitude) });
});
$("#date-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!pendingDate) return;
  const value = pendingDate.mode === "date" ? pickedThaiDate() : $("#date-value").value;
  if (!value) return;
  // LINE shows nothing in the chat for a picked date; the note is the simulator's, so the choice is seen.
  const date = parseIsoDate(value);
  note("เลือก " + (date ? thaiDate(date) : value));
  setQuickReplies(null);  // the picker's action is done
  send({ postback: pendingDate.data, params: { [pendingDate.mode]: value } }, null);
});
for (const button of document.querySelectorAll(".panel .cancel")) button.addEventListener("click", hidePanels);

// ----- the demo clock (devtools only): a day later, with that day's reminders and summaries --------------
async function showDemoClock(response) {
  const data = await response.json();
  if (!response.ok) { setStatus("เลื่อนเวลาไม่สำเร็จ: " + (data.error || response.status)); return null; }
  $("#demo-now").textContent = data.now + (data.days_ahead ? " (เลื่อนไป " + data.days_ahead + " วัน)" : "");
  return data;
}
$("#advance").addEventListener("click", async () => {
  const button = $("#advance");
  button.disabled = true;
  try {
    const data = await showDemoClock(await fetch("/simulator/api/advance", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ days: 1 }) }));
    if (data) {
      const sent = data.runs.filter((run) => run.result).map((run) => run.job + " " + run.result);
      note("เลื่อนเวลาเป็น " + data.now + (sent.length ? " · งานตามกำหนดเวลา: " + sent.join(", ") : ""));
    }
  } catch (error) {
    setStatus("เลื่อนเวลาไม่สำเร็จ: " + error);
  }
  button.disabled = false;
});
fetch("/simulator/api/clock").then(showDemoClock);

// Started once every script is in: a saved name starts the chat at once.
window.addEventListener("DOMContentLoaded", () => {
  const savedName = localStorage.getItem("simulator.name");
  if (savedName) {
    $("#name").value = savedName;
    startAs(savedName);
  } else {
    note("ใส่ชื่อที่แสดงแล้วกด \"เริ่มแชท\"");
  }
});
