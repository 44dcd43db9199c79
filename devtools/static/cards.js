// Template and Flex messages, drawn as an approximation of LINE's layout (devtools/static/simulator.js
// shows them). Text only ever goes in with textContent; an image's address must be http(s) (safeUrl).
"use strict";

function renderTemplate(m) {
  const t = m.template || {};
  const bubble = el("div", "bubble template");
  bubble.append(el("div", "", m.altText));
  const columns = t.columns || [t];
  for (const column of columns) {
    if (column.title) bubble.append(el("div", "tpl-title", column.title));
    if (column.text && column.text !== m.altText) bubble.append(el("div", "", column.text));
    const buttons = el("div", "tpl-buttons");
    for (const action of column.actions || (column.action ? [column.action] : [])) {
      const button = el("button", "", action.label || action.type);
      button.type = "button";
      button.addEventListener("click", () => doAction(action));
      buttons.append(button);
    }
    if (buttons.childElementCount) bubble.append(buttons);
  }
  return bubble;
}


// ----- Flex messages ---------------------------------------------------------------------
const FONT_SIZES = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74 };
const SPACES = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
function size(value, table) {
  if (value in table) return table[value] + "px";
  return /^\d+(\.\d+)?(px|%)$/.test(value || "") ? value : null;
}

function renderFlex(contents, altText) {
  const ctx = { altText, altShown: false };
  if (contents.type === "carousel") {
    const carousel = el("div", "flex-carousel");
    for (const bubble of contents.contents || []) carousel.append(renderBubble(bubble, ctx));
    return carousel;
  }
  if (contents.type === "bubble") return renderBubble(contents, ctx);
  return el("div", "bubble", altText);
}

function renderBubble(bubble, ctx) {
  const card = el("div", "flex-bubble " + (bubble.size || "mega"));
  const styles = bubble.styles || {};
  for (const part of ["header", "hero", "body", "footer"]) {
    if (!bubble[part]) continue;
    const section = el("div", "flex-part flex-" + part);
    const style = styles[part] || {};
    if (style.backgroundColor) section.style.backgroundColor = style.backgroundColor;
    if (style.separator) section.classList.add("sep-top");
    section.append(renderComponent(bubble[part], ctx, "vertical"));
    card.append(section);
  }
  if (bubble.action) clickable(card, bubble.action);
  return card;
}

function clickable(node, action) {
  node.classList.add("clickable");
  node.addEventListener("click", (event) => { event.stopPropagation(); doAction(action); });
}

function renderComponent(c, ctx, parentLayout) {
  let node;
  switch (c.type) {
    case "box": {
      node = el("div", "flex-box " + (c.layout || "vertical"));
      for (const child of c.contents || []) node.append(renderComponent(child, ctx, c.layout || "vertical"));
      node.style.gap = size(c.spacing, SPACES);
      node.style.padding = size(c.paddingAll, SPACES);
      for (const side of ["Top", "Bottom", "Start", "End"]) {
        const value = size(c["padding" + side], SPACES);
        if (value) node.style["padding" + ({ Start: "Left", End: "Right" }[side] || side)] = value;
      }
      if (c.backgroundColor) node.style.backgroundColor = c.backgroundColor;
      if (c.cornerRadius) node.style.borderRadius = size(c.cornerRadius, SPACES);
      if (c.borderColor) node.style.border = "1px solid " + c.borderColor;
      if (c.justifyContent) node.style.justifyContent = c.justifyContent.replace("flex-", "");
      if (c.alignItems) node.style.alignItems = c.alignItems.replace("flex-", "");
      break;
    }
    case "text": {
      node = el("div", "flex-text" + (c.wrap ? "" : " nowrap"));
      if (c.contents && c.contents.length) {
        for (const span of c.contents) {
          const part = el("span", "", span.text);
          styleText(part, span);
          node.append(part);
        }
      } else {
        node.textContent = c.text || "";
      }
      styleText(node, c);
      if (c.align) node.style.textAlign = c.align === "start" ? "left" : c.align === "end" ? "right" : "center";
      break;
    }
    case "separator":
      node = el("div", "flex-sep");
      if (c.color) node.style.borderColor = c.color;
      break;
    case "button": {
      const action = c.action || {};
      node = el("button", "flex-button " + (c.style || "link") + " " + (c.height || "md"), action.label || action.type);
      node.type = "button";
      if (c.color) {
        if (c.style === "primary" || c.style === "secondary") node.style.backgroundColor = node.style.borderColor = c.color;
        else node.style.color = c.color;
      }
      node.addEventListener("click", () => doAction(action));
      break;
    }
    case "image":
    case "icon": {
      const url = safeUrl(c.url);
      if (!url) { node = el("span", "muted", "[รูป]"); break; }
      node = el("img", c.type === "icon" ? "flex-icon" : "flex-image");
      node.src = url;
      node.alt = "";
      if (c.aspectRatio && c.aspectMode === "cover") {
        const [w, h] = c.aspectRatio.split(":").map(Number);
        if (w && h) { node.style.aspectRatio = w + " / " + h; node.style.objectFit = "cover"; node.style.width = "100%"; }
      }
      break;
    }
    case "filler":
      node = el("div");
      node.style.flex = c.flex != null ? c.flex : 1;
      return node;
    case "spacer":
      node = el("div");
      node.style.minHeight = node.style.minWidth = size(c.size || "md", SPACES);
      return node;
    default:
      // Something this simulator does not draw: show the message's alt text once instead.
      node = el("div", "muted", ctx.altShown ? "" : ctx.altText || "[" + c.type + "]");
      ctx.altShown = true;
  }
  const horizontal = parentLayout !== "vertical";
  const flex = c.type === "separator" ? 0 : c.flex != null ? c.flex : horizontal ? 1 : 0;
  node.style.flex = flex + " " + flex + (flex ? " 0" : " auto");
  const margin = size(c.margin, SPACES);
  if (margin) node.style[horizontal ? "marginLeft" : "marginTop"] = margin;
  if (c.action && c.type !== "button") clickable(node, c.action);
  return node;
}

function styleText(node, c) {
  const px = size(c.size, FONT_SIZES);
  if (px) node.style.fontSize = px;
  if (c.weight === "bold") node.style.fontWeight = "bold";
  if (c.style === "italic") node.style.fontStyle = "italic";
  if (c.decoration && c.decoration !== "none") node.style.textDecoration = c.decoration;
  if (c.color) node.style.color = c.color;
}

