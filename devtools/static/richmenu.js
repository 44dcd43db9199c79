// The rich menu below the chat bar: the one LINE shows this user (linked to them, else the channel's
// default), as the fake LINE keeps it; the chat bar's button (its chatBarText) shows and hides it.
"use strict";

const menu = { id: undefined, loading: null };  // id: null for no menu, undefined before the first ask

async function loadRichMenu() {
  const id = user.id;
  menu.loading = fetch("/simulator/api/richmenu?user_id=" + encodeURIComponent(id)).then((r) => r.json());
  try {
    const data = await menu.loading;
    if (id === user.id) drawRichMenu(data.menu, data.image);
  } catch (error) {
    setStatus("โหลดริชเมนูไม่ได้: " + error);
  } finally {
    menu.loading = null;
  }
}

// Each area is a button over the menu's picture at its bounds, its label hidden; a picture that does not
// load leaves the buttons as labelled tiles.
function drawRichMenu(richMenu, image) {
  const box = $("#rich-menu");
  box.replaceChildren();
  menu.id = richMenu ? richMenu.richMenuId : null;
  $("#menu-toggle").hidden = !richMenu;
  if (!richMenu) return showRichMenu(false);
  const { width, height } = richMenu.size;
  box.style.aspectRatio = width + " / " + height;
  box.classList.toggle("with-image", Boolean(image));
  if (image) {
    const img = el("img");
    img.src = image;
    img.alt = "";
    img.addEventListener("error", () => box.classList.remove("with-image"));
    box.append(img);
  }
  for (const area of richMenu.areas || []) {
    const action = area.action || {};
    const label = action.label || action.text || action.displayText || action.type;
    const button = el("button", "rm-area", label);
    button.type = "button";
    button.title = label;
    const { x, y, width: w, height: h } = area.bounds;
    Object.assign(button.style, { left: pct(x, width), top: pct(y, height), width: pct(w, width), height: pct(h, height) });
    button.addEventListener("click", () => doAction(action));
    box.append(button);
  }
  $("#menu-toggle-label").textContent = richMenu.chatBarText || "เมนู";
  showRichMenu(Boolean(richMenu.selected));  // "selected": LINE opens the menu when the chat opens
}
const pct = (part, whole) => (100 * part / whole) + "%";

function showRichMenu(shown) {
  $("#rich-menu").hidden = !shown;
  $("#menu-toggle").setAttribute("aria-expanded", String(shown));
  $("#menu-toggle-arrow").textContent = shown ? "▾" : "▴";
}

$("#menu-toggle").addEventListener("click", () => showRichMenu($("#rich-menu").hidden));
