// The coordinators' dashboard in LINE (LIFF): bot/templates/dashboard.html is its shell, the JSON API of
// bot/dashboard.py its data. It signs in with the LIFF ID token (liff.init, liff.getIDToken), trades it at
// /liff/api/session for a session it sends as Bearer, and draws the views in this page by hash:
// #/overview?area=CODE, #/cases?filters, #/map?filters, #/case/ID. Every word the user reads is Thai; dates
// come from the server already in พ.ศ. A refusal shows the server's Thai message and nothing else.
// Text only ever goes in with textContent (createElement/createElementNS), never innerHTML.
"use strict";

const root = document.getElementById("dashboard");
const settings = {
  liffId: root.dataset.liffId,
  api: root.dataset.api,
  tileUrl: root.dataset.tileUrl,
  tileAttribution: root.dataset.tileAttribution,
  leaflet: root.dataset.leaflet,
};
const state = { session: null, inClient: false, filterOptions: null, areaLabels: new Map(), shown: 0, lastList: null };
const FILTERS = ["area", "status", "reason", "urgent", "overdue", "owner"];
const TEXT = {
  opening: "กำลังเปิดแดชบอร์ด…",
  loading: "กำลังโหลด…",
  offline: "ติดต่อเซิร์ฟเวอร์ไม่ได้ ตรวจสอบอินเทอร์เน็ตแล้วลองอีกครั้ง",
  failed: "เกิดข้อผิดพลาด ลองอีกครั้งภายหลัง",
  noLiff: "ยังไม่ได้เปิดใช้แดชบอร์ด (ผู้ดูแลระบบยังไม่ได้ตั้งค่า LIFF_ID)",
  liffFailed: "เปิดผ่าน LINE ไม่สำเร็จ กรุณาเปิดจากเมนูในแชท LINE อีกครั้ง",
  backToChat: "กลับไปที่แชท",
  retry: "ลองอีกครั้ง",
};

// ----------------------------------------------------------------------------- small helpers

// el("a", {href: "#/x", class: "y"}, "text", child, ...): attributes are set as attributes, children as
// text nodes or elements.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value == null) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((c) => c != null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}
const number = (n) => Number(n || 0).toLocaleString("th-TH");
const view = document.getElementById("view");

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || (status ? TEXT.failed + " (" + status + ")" : TEXT.offline));
    this.status = status;
    this.code = body && body.error;
  }
  // The user may not see anything at all (not signed in, deactivated, another role): the whole page
  // says so. A case or area out of reach, a bad filter, an action no longer offered: only that view does.
  get final() {
    return this.status === 401 || ACCOUNT_REFUSALS.has(this.code);
  }
}
const ACCOUNT_REFUSALS = new Set(["no_session", "expired_session", "no_token", "invalid_token", "expired_token",
  "not_registered", "deactivated", "not_allowed", "off"]);

async function request(path, { method = "GET", body, bearer = true } = {}) {
  const headers = { Accept: "application/json" };
  if (bearer) headers.Authorization = "Bearer " + state.session;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(settings.api + path, {
      method, headers, cache: "no-store", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, null);
  }
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// An API call with the session; a session that ran out (30 minutes) is renewed once with a new ID token.
async function api(path, options) {
  try {
    return await request(path, options);
  } catch (error) {
    if (error.code !== "expired_session") throw error;
    await startSession();
    return request(path, options);
  }
}

// ----------------------------------------------------------------------------- signing in through LIFF

async function startSession() {
  const data = await request("/session", { method: "POST", body: { id_token: liff.getIDToken() || "" }, bearer: false });
  state.session = data.session;
  const user = data.user || {};
  document.getElementById("who").textContent = [user.name, user.scope].filter(Boolean).join(" · ");
}

async function start() {
  setState("loading");
  if (!settings.liffId) return refuse(TEXT.noLiff);
  try {
    // LINE keeps a LIFF URL's own query (?area=, ?case=) in liff.state until init has put it back in the
    // address: the address is read only after init, and never changed before it.
    await liff.init({ liffId: settings.liffId });
  } catch (error) {
    return refuse(TEXT.liffFailed);
  }
  if (!liff.isLoggedIn()) {
    liff.login({ redirectUri: location.href });  // an outside browser: LINE Login, then back here
    return;
  }
  state.inClient = liff.isInClient();
  signIn();
}

async function signIn() {
  try {
    await startSession();
  } catch (error) {
    // LINE Login or this server out of reach for a moment: try again, the user is not refused.
    if (error.status === 0 || error.code === "line_unavailable" || error.code === "unavailable") {
      return showError(error.message, signIn);
    }
    return refuse(error.message);
  }
  document.getElementById("tabs").hidden = false;
  const query = new URLSearchParams(location.search);
  if (!location.hash) {
    const caseId = query.get("case");
    const area = query.get("area");
    history.replaceState(null, "", location.pathname + location.search +
      (caseId ? "#/case/" + encodeURIComponent(caseId) : area ? "#/overview?area=" + encodeURIComponent(area) : "#/overview"));
  }
  window.addEventListener("hashchange", route);
  route();
}

// Where the page is, for whoever waits on it (bench/dashboard.py, the browser tests): "loading", "ready" once
// a view has its data, "refused", or "error".
function setState(name) { document.body.dataset.state = name; }

// The whole page refuses: the server's message, no data, no tabs.
function refuse(message) {
  setState("refused");
  state.session = null;
  document.getElementById("tabs").hidden = true;
  document.getElementById("who").textContent = "";
  hideNotice();
  view.replaceChildren(el("section", { class: "refused", role: "alert" },
    lockIcon(),
    el("p", {}, message),
    state.inClient ? el("button", { type: "button", class: "button", onclick: () => liff.closeWindow() }, TEXT.backToChat) : null));
}

function lockIcon() {
  return svg("svg", { viewBox: "0 0 24 24", width: 48, height: 48, class: "refused-icon", "aria-hidden": "true" },
    svg("rect", { x: 5, y: 10, width: 14, height: 11, rx: 2 }),
    svg("path", { d: "M8 10V7a4 4 0 0 1 8 0v3", fill: "none", "stroke-width": 2 }));
}

// ----------------------------------------------------------------------------- routing

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?", 2);
  const [name, id] = path.split("/", 2);
  return { name: name || "overview", id, params: new URLSearchParams(query || "") };
}

function href(name, params, id) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) if (value) query.set(key, value);
  const text = query.toString();
  return "#/" + name + (id != null ? "/" + encodeURIComponent(id) : "") + (text ? "?" + text : "");
}

const VIEWS = { overview: showOverview, cases: showCases, map: showMap, case: showCase };

async function route() {
  if (!state.session) return;
  const { name, id, params } = parseHash();
  const show = VIEWS[name] || showOverview;
  for (const tab of document.querySelectorAll("#tabs a")) {
    const current = tab.dataset.view === (name === "case" ? "cases" : name);
    if (current) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    // The tabs keep the area being looked at.
    const area = params.get("area");
    tab.href = href(tab.dataset.view, area ? { area } : {});
  }
  const shown = ++state.shown;
  setState("loading");
  view.setAttribute("aria-busy", "true");
  view.replaceChildren(el("p", { class: "loading" }, el("span", { class: "spinner", "aria-hidden": "true" }), " " + TEXT.loading));
  try {
    const content = await show(params, id);
    if (shown !== state.shown) return;  // the user went elsewhere meanwhile
    view.replaceChildren(...[content].flat().filter(Boolean));  // a section with nothing to show is null
    if (content && content.afterShown) content.afterShown();
    setState("ready");
  } catch (error) {
    if (shown !== state.shown) return;
    if (error instanceof ApiError && error.final) return refuse(error.message);
    showError(error instanceof ApiError ? error.message : TEXT.failed, route);
    if (!(error instanceof ApiError)) console.error(error);
  } finally {
    if (shown === state.shown) view.removeAttribute("aria-busy");
  }
}

function showError(message, retry) {
  setState("error");
  view.removeAttribute("aria-busy");
  view.replaceChildren(el("section", { class: "error", role: "alert" }, el("p", {}, message),
    el("button", { type: "button", class: "button", onclick: retry }, TEXT.retry)));
}

function filtersOf(params) {
  const filters = {};
  for (const key of FILTERS) if (params.get(key)) filters[key] = params.get(key);
  return filters;
}
const queryOf = (params) => { const q = new URLSearchParams(params).toString(); return q ? "?" + q : ""; };

// ----------------------------------------------------------------------------- notices (after an action)

function notify(message, kind = "ok") {
  const box = document.getElementById("notice");
  box.className = "notice " + kind;
  box.replaceChildren(el("p", {}, message),
    state.inClient ? el("button", { type: "button", class: "link", onclick: () => liff.closeWindow() }, TEXT.backToChat) : null,
    el("button", { type: "button", class: "close", "aria-label": "ปิดข้อความ", onclick: hideNotice }, "✕"));
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}
function hideNotice() { document.getElementById("notice").hidden = true; }

// ----------------------------------------------------------------------------- overview

async function showOverview(params) {
  const area = params.get("area") || "";
  const data = await api("/overview" + queryOf(area ? { area } : {}));
  const here = data.area || {};
  if (here.code) state.areaLabels.set(here.code, here.label);
  for (const sub of data.sub_areas || []) state.areaLabels.set(sub.code, sub.label);
  const totals = data.totals || {};
  const scoped = (extra) => ({ area: here.code || "", ...extra });
  const parts = [
    breadcrumbs(data.breadcrumbs || [], here),
    el("h2", {}, here.label || "ทั้งพื้นที่ของฉัน"),
    el("ul", { class: "tiles" },
      tile("เด็กทั้งหมด", totals.total, href("cases", scoped())),
      tile("ยังไม่พบตัว", totals.missing, null),
      tile("เร่งด่วน", totals.urgent, href("cases", scoped({ urgent: "1" })), "urgent"),
      tile("เกินกำหนด", totals.overdue, href("cases", scoped({ overdue: "1" })), "overdue")),
    deadlineSection(data.deadline),
    chart("ตามสถานะ", (data.by_status || []).map((s) => ({ label: s.label, count: s.count,
      href: href("cases", scoped({ status: s.status })) }))),
    chart("ผลการติดตาม", (data.by_outcome || []).map((o) => ({ label: o.label, count: o.count }))),
    subAreas(data.sub_areas || []),
    el("div", { class: "actions" },
      el("a", { class: "button", href: href("cases", scoped()) }, "ดูรายชื่อเด็ก"),
      el("a", { class: "button secondary", href: href("map", scoped()) }, "ดูแผนที่")),
    exportButtons(here.code || null),
  ];
  return parts;
}

function breadcrumbs(crumbs, here) {
  if (crumbs.length < 2) return null;  // the whole scope: its name is the heading
  const list = el("ol");
  crumbs.forEach((crumb, i) => {
    const last = i === crumbs.length - 1 && (crumb.code || null) === (here.code || null);
    list.append(el("li", {}, last ? el("span", { "aria-current": "page" }, crumb.label)
      : el("a", { href: href("overview", crumb.code ? { area: crumb.code } : {}) }, crumb.label)));
  });
  return el("nav", { class: "crumbs", "aria-label": "ระดับพื้นที่" }, list);
}

function tile(label, count, link, kind) {
  const body = [el("span", { class: "count" }, number(count)), el("span", { class: "label" }, label)];
  return el("li", { class: "tile " + (kind || "") }, link ? el("a", { href: link }, body) : el("div", {}, body));
}

function deadlineSection(deadline) {
  if (!deadline) return null;
  const days = Number(deadline.days_left);
  const when = days > 0 ? "อีก " + number(days) + " วัน" : days === 0 ? "ครบกำหนดวันนี้" : "เลยกำหนดมาแล้ว " + number(-days) + " วัน";
  const section = el("section", { class: "card deadline", "aria-labelledby": "deadline-title" },
    el("h3", { id: "deadline-title" }, "การรายงานตามกำหนด"),
    el("p", { class: "deadline-title" }, deadline.title),
    el("p", {}, "กำหนดส่ง " + deadline.due + " ", el("strong", { class: days < 0 ? "late" : "" }, "(" + when + ")")));
  // A bar when the server gives the numbers (see docs: "Changes by front end"); the lines say it in words.
  if (Number.isFinite(deadline.reported) && deadline.expected > 0) {
    const share = Math.min(1, deadline.reported / deadline.expected);
    section.append(el("div", { class: "progress", role: "progressbar", "aria-valuemin": 0,
      "aria-valuemax": deadline.expected, "aria-valuenow": deadline.reported,
      "aria-label": "รายงานแล้ว " + number(deadline.reported) + " จาก " + number(deadline.expected) + " แห่ง" },
      progressFill(share)));
  }
  for (const line of deadline.lines || []) section.append(el("p", { class: "small" }, line));
  return section;
}
function progressFill(share) {
  const fill = svg("svg", { viewBox: "0 0 100 8", preserveAspectRatio: "none", "aria-hidden": "true" },
    svg("rect", { x: 0, y: 0, width: 100, height: 8, rx: 4, class: "track" }),
    svg("rect", { x: 0, y: 0, width: (100 * share).toFixed(1), height: 8, rx: 4, class: "fill" }));
  return fill;
}

// A horizontal bar chart drawn by hand in SVG: each row its label above a bar as long as its share of the
// largest count, the count at the bar's end. The rows are links where a list lies behind them.
function chart(title, all) {
  const rows = all.filter((r) => r.count > 0);  // as the chat's card, the statuses that have children
  if (!rows.length) return all.length ? el("section", { class: "card" }, el("h3", {}, title), el("p", { class: "muted" }, "ยังไม่มีข้อมูล")) : null;
  const max = Math.max(1, ...rows.map((r) => r.count || 0));
  const rowHeight = 40, labelY = 14, barY = 20, barHeight = 14, width = 320, barWidth = 260;
  const drawing = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowHeight}`, class: "chart", role: "img",
    "aria-label": title + ": " + rows.map((r) => r.label + " " + number(r.count)).join(", ") });
  rows.forEach((row, i) => {
    const y = i * rowHeight;
    const length = Math.max(2, Math.round(barWidth * row.count / max));
    const group = svg("g", { class: "bar" },
      svg("text", { x: 0, y: y + labelY, class: "bar-label" }, row.label),
      svg("rect", { x: 0, y: y + barY, width: barWidth, height: barHeight, rx: 3, class: "bar-track" }),
      svg("rect", { x: 0, y: y + barY, width: length, height: barHeight, rx: 3, class: "bar-fill" }),
      svg("text", { x: width, y: y + barY + barHeight - 2, "text-anchor": "end", class: "bar-count" }, number(row.count)));
    if (row.href) {
      const link = svg("a", { href: row.href }, group);
      link.setAttribute("aria-label", row.label + " " + number(row.count) + " คน");
      drawing.append(link);
    } else {
      drawing.append(group);
    }
  });
  return el("section", { class: "card" }, el("h3", {}, title), drawing);
}

function subAreas(subs) {
  if (!subs.length) return null;
  const body = el("tbody");
  for (const sub of subs) {
    const name = sub.drillable ? el("a", { href: href("overview", { area: sub.code }) }, sub.label) : sub.label;
    body.append(el("tr", {}, el("th", { scope: "row" }, name), el("td", {}, number(sub.missing)),
      el("td", {}, number(sub.overdue)), el("td", {}, number(sub.total))));
  }
  return el("section", { class: "card" }, el("h3", {}, "แยกตามพื้นที่"),
    el("p", { class: "small muted" }, "แตะชื่อพื้นที่เพื่อดูระดับถัดไป"),
    el("table", { class: "areas" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "พื้นที่"), el("th", { scope: "col" }, "ยังไม่พบ"),
        el("th", { scope: "col" }, "เกินกำหนด"), el("th", { scope: "col" }, "รวม"))),
      body));
}

// The chat's export of this area (or the whole scope): the file's link arrives in the chat.
function exportButtons(area) {
  const exporting = async (event, format) => {
    const buttons = event.currentTarget.parentElement.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      const data = await api("/export", { method: "POST", body: { area, format } });
      notify(data.message);
    } catch (error) {
      if (error instanceof ApiError && error.final) return refuse(error.message);
      notify(error.message, "bad");
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  };
  return el("section", { class: "card export", "aria-labelledby": "export-title" },
    el("h3", { id: "export-title" }, "ส่งออกรายงาน"),
    el("p", { class: "small muted" }, "ไฟล์รายชื่อเด็กของพื้นที่นี้ ระบบจะส่งลิงก์ดาวน์โหลดมาในแชท"),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "button", onclick: (e) => exporting(e, "xlsx") }, "Excel (.xlsx)"),
      el("button", { type: "button", class: "button secondary", onclick: (e) => exporting(e, "csv") }, "CSV")));
}

// ----------------------------------------------------------------------------- the filters (list and map)

function filterForm(params, target, options) {
  const current = filtersOf(params);
  const go = (changed) => {
    const next = { ...current, ...changed };
    for (const key of Object.keys(next)) if (!next[key]) delete next[key];
    location.hash = href(target, next);  // page 1 again: a new filter is a new list
  };
  const select = (name, label, choices) => {
    const id = "filter-" + name;
    return el("div", { class: "field" }, el("label", { for: id }, label),
      el("select", { id, name, onchange: (e) => go({ [name]: e.target.value }) },
        el("option", { value: "" }, "ทั้งหมด"),
        choices.map((c) => el("option", { value: c.value, selected: c.value === current[name] }, c.label))));
  };
  const check = (name, label) => el("label", { class: "check" },
    el("input", { type: "checkbox", name, checked: current[name] === "1", onchange: (e) => go({ [name]: e.target.checked ? "1" : "" }) }),
    " " + label);
  const form = el("form", { class: "filters", "aria-label": "ตัวกรอง", onsubmit: (e) => e.preventDefault() });
  if (options) {
    form.append(select("status", "สถานะ", options.statuses || []), select("reason", "สาเหตุ", options.reasons || []),
      select("owner", "ผู้รับผิดชอบ", options.owners || []));
  }
  form.append(el("div", { class: "checks" }, check("urgent", "เร่งด่วน"), check("overdue", "เกินกำหนด")));
  if (current.area) {
    form.append(el("p", { class: "chip" }, "พื้นที่: " + (state.areaLabels.get(current.area) || current.area) + " ",
      el("button", { type: "button", class: "link", onclick: () => go({ area: "" }) }, "ดูทั้งหมด")));
  }
  const others = Object.keys(current).filter((k) => k !== "area");
  if (others.length) {
    form.append(el("button", { type: "button", class: "link", onclick: () => {
      location.hash = href(target, current.area ? { area: current.area } : {});
    } }, "ล้างตัวกรอง"));
  }
  return form;
}

// ----------------------------------------------------------------------------- the list of cases

async function showCases(params) {
  const filters = filtersOf(params);
  const page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  const data = await api("/cases" + queryOf({ ...filters, ...(page > 1 ? { page } : {}) }));
  state.lastList = location.hash;  // a case's "back" returns to this list, its filters and page
  state.filterOptions = data.filters || state.filterOptions;
  const list = el("ul", { class: "cases" });
  for (const item of data.cases || []) list.append(caseItem(item));
  const parts = [
    el("h2", {}, "รายชื่อเด็ก"),
    filterForm(params, "cases", state.filterOptions),
    el("p", { class: "count-line" }, "พบ " + number(data.total) + " เรื่อง"),
    data.cases && data.cases.length ? list : el("p", { class: "empty" }, "ไม่พบเรื่องตามตัวกรองนี้"),
    pager(filters, data.page || page, data.pages || 1),
  ];
  return parts;
}

function caseItem(item) {
  const badges = [
    item.urgent ? el("span", { class: "badge urgent" }, "เร่งด่วน") : null,
    item.overdue ? el("span", { class: "badge overdue" }, "เกินกำหนด") : null,
    el("span", { class: "badge status-" + item.status }, item.status_label),
  ];
  const age = item.age != null && item.age !== "" ? " (" + item.age + " ปี)" : "";
  return el("li", {}, el("a", { class: "case-row", href: href("case", {}, item.id) },
    el("span", { class: "name" }, item.name + age),
    el("span", { class: "badges" }, badges),
    el("span", { class: "meta" }, [item.reason_label, item.area_label].filter(Boolean).join(" · ")),
    el("span", { class: "meta" }, (item.owner ? "ผู้รับผิดชอบ: " + item.owner : "ยังไม่มีผู้รับผิดชอบ") +
      (item.updated ? " · อัปเดต " + item.updated : ""))));
}

function pager(filters, page, pages) {
  if (pages <= 1) return null;
  const link = (to, label, rel) => (to < 1 || to > pages
    ? el("span", { class: "button disabled", "aria-disabled": "true" }, label)
    : el("a", { class: "button", rel, href: href("cases", { ...filters, page: to > 1 ? to : "" }) }, label));
  return el("nav", { class: "pager", "aria-label": "หน้า" },
    link(page - 1, "‹ ก่อนหน้า", "prev"),
    el("span", { "aria-current": "page" }, "หน้า " + number(page) + " จาก " + number(pages)),
    link(page + 1, "ถัดไป ›", "next"));
}

// ----------------------------------------------------------------------------- the map of pinned homes

let leafletLoading = null;
function loadLeaflet() {
  if (window.L) return Promise.resolve();
  leafletLoading = leafletLoading || new Promise((resolve, reject) => {
    const script = el("script", { src: settings.leaflet });
    script.addEventListener("load", resolve);
    script.addEventListener("error", () => { leafletLoading = null; reject(new Error("leaflet")); });
    document.head.append(script);
  });
  return leafletLoading;
}

const PIN_COLOURS = { urgent: "#c62828", overdue: "#e65100", done: "#2e7d32", open: "#1565c0" };
const LEGEND = { urgent: "เร่งด่วน", overdue: "เกินกำหนด", open: "กำลังติดตาม", done: "กลับเข้าเรียน/ปิดเรื่อง" };
const DONE = new Set(["back_in_school", "staying", "closed"]);
// urgent/overdue: see dash_contract.md, "Changes by front end"; without them a pin has its status's colour.
const pinKind = (pin) => (pin.urgent ? "urgent" : pin.overdue ? "overdue" : DONE.has(pin.status) ? "done" : "open");

async function showMap(params) {
  const filters = filtersOf(params);
  const [data] = await Promise.all([api("/map" + queryOf(filters)), loadLeaflet()]);
  const box = el("div", { id: "map", class: "map", role: "region", "aria-label": "แผนที่บ้านที่ปักหมุด" });
  const pins = data.pins || [];
  const said = pins.length
    ? "ปักหมุดแล้ว " + number(data.total) + " หลัง" + (data.shown < data.total ? " แสดง " + number(data.shown) + " หลังที่เร่งด่วนหรือเกินกำหนดก่อน" : "")
    : "ยังไม่มีบ้านที่ปักหมุดตามตัวกรองนี้";
  const parts = [
    el("h2", {}, "แผนที่บ้านเด็ก"),
    filterForm(params, "map", (state.filterOptions = data.filters || state.filterOptions)),
    el("p", { class: "count-line" }, said),
    box,
    el("ul", { class: "legend", "aria-label": "สีของหมุด" },
      // Only the colours on this map: the pins' kinds (urgent and overdue when the answer says so).
      Object.entries(LEGEND).filter(([kind]) => pins.some((pin) => pinKind(pin) === kind))
        .map(([kind, label]) => legend(kind, label))),
  ];
  parts.afterShown = () => drawMap(box, pins);
  return parts;
}
function legend(kind, label) {
  return el("li", {}, el("span", { class: "dot", "data-kind": kind, "aria-hidden": "true" }), " " + label);
}

function drawMap(box, pins) {
  const map = L.map(box, { zoomControl: true, attributionControl: Boolean(settings.tileUrl) });
  // No tile server configured (tests, a closed network): the pins on a blank map, and no outside request.
  if (settings.tileUrl) {
    L.tileLayer(settings.tileUrl, { maxZoom: 19, attribution: settings.tileAttribution }).addTo(map);
  }
  const points = [];
  for (const pin of pins) {
    const kind = pinKind(pin);
    const marker = L.circleMarker([pin.lat, pin.lng], { radius: 7, weight: 2, color: "#ffffff",
      fillColor: PIN_COLOURS[kind], fillOpacity: 0.9, className: "pin pin-" + kind });
    marker.bindPopup(() => el("div", { class: "popup" }, el("p", {}, pin.label),
      el("a", { href: href("case", {}, pin.id) }, "ดูเรื่อง")));
    marker.addTo(map);
    points.push([pin.lat, pin.lng]);
  }
  if (points.length) map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
  else map.setView([15.87, 100.99], 5);  // Thailand
}

// ----------------------------------------------------------------------------- one case

async function showCase(params, id) {
  const data = await api("/cases/" + encodeURIComponent(id || ""));
  const item = data.case || {};
  const rows = el("dl", { class: "rows" });
  for (const [label, value] of item.rows || []) rows.append(el("div", {}, el("dt", {}, label), el("dd", {}, value)));
  const actions = el("div", { class: "actions" });
  for (const action of data.actions || []) {
    actions.append(el("button", { type: "button", class: "button secondary", "data-action": action.action,
      onclick: () => act(item.id, action, actions) }, action.label));
  }
  const timeline = el("ol", { class: "timeline" });
  for (const entry of data.timeline || []) {
    timeline.append(el("li", {}, el("span", { class: "when" }, entry.at),
      el("span", { class: "words" }, entry.words), entry.actor ? el("span", { class: "actor" }, entry.actor) : null));
  }
  return [
    el("p", { class: "back" }, el("a", { href: state.lastList || "#/cases" }, "‹ กลับไปรายชื่อ")),
    el("h2", {}, item.title),
    el("p", { class: "badges" }, item.urgent ? el("span", { class: "badge urgent" }, "เร่งด่วน") : null,
      el("span", { class: "badge status-" + item.status }, item.status_label)),
    // The buttons before the card's rows: on a phone they are what the page was opened for.
    data.actions && data.actions.length ? el("section", { class: "card" }, el("h3", {}, "ดำเนินการ"), actions) : null,
    el("section", { class: "card" }, rows),
    el("section", { class: "card" }, el("h3", {}, "ความเคลื่อนไหว"),
      timeline.childElementCount ? timeline : el("p", { class: "muted" }, "ยังไม่มีความเคลื่อนไหว")),
  ];
}

// An action the chat's card offers: the server runs the chat's own handler, whose next step arrives in
// the chat; in LINE the window then closes onto it.
async function act(caseId, action, buttons) {
  for (const button of buttons.querySelectorAll("button")) button.disabled = true;
  try {
    const data = await api("/cases/" + encodeURIComponent(caseId) + "/actions/" + encodeURIComponent(action.action),
      { method: "POST", body: {} });
    notify(data.message);
    if (state.inClient) setTimeout(() => liff.closeWindow(), 1500);
  } catch (error) {
    if (error instanceof ApiError && error.final) return refuse(error.message);
    notify(error.message, "bad");
    // An action no longer offered (the case moved on): the case is shown again as it is now.
    if (error.code === "not_offered") route();
    else for (const button of buttons.querySelectorAll("button")) button.disabled = false;
  }
}

start();
