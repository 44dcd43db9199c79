// The date picker of a datetimepicker action (mode "date") as a Thai phone shows it: day, Thai month and
// พ.ศ. year. The action's initial, min and max are ค.ศ. "YYYY-MM-DD", and so is the date LINE puts in the
// postback's params (reference: "Datetime picker action"); only what the user sees is in พ.ศ.
"use strict";

const THAI_MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
                     "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"];
const THAI_WEEKDAYS = ["อาทิตย์", "จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์"];
const BE_OFFSET = 543;
// LINE's own bounds when an action gives no min or max.
const PICKER_MIN = "1900-01-01";
const PICKER_MAX = "2100-12-31";

function parseIsoDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
  if (!match) return null;
  const [y, m, d] = match.slice(1).map(Number);
  return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m) ? { y, m, d } : null;
}
const daysIn = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const dateKey = (date) => date.y * 10000 + date.m * 100 + date.d;
const pad = (n, width) => String(n).padStart(width, "0");
const isoDate = (date) => pad(date.y, 4) + "-" + pad(date.m, 2) + "-" + pad(date.d, 2);

function thaiDate(date, withWeekday) {
  const text = date.d + " " + THAI_MONTHS[date.m - 1] + " พ.ศ. " + (date.y + BE_OFFSET);
  if (!withWeekday) return text;
  return "วัน" + THAI_WEEKDAYS[new Date(Date.UTC(date.y, date.m - 1, date.d)).getUTCDay()] + "ที่ " + text;
}

function clampDate(date, min, max) {
  const fitted = { ...date, d: Math.min(date.d, daysIn(date.y, date.m)) };
  if (dateKey(fitted) < dateKey(min)) return { ...min };
  if (dateKey(fitted) > dateKey(max)) return { ...max };
  return fitted;
}

const thaiPicker = { min: null, max: null, value: null };

// Opens the picker for a mode "date" action; the page's submit handler reads pickedThaiDate().
function openThaiDatePicker(action) {
  const min = parseIsoDate(action.min) || parseIsoDate(PICKER_MIN);
  const max = parseIsoDate(action.max) || parseIsoDate(PICKER_MAX);
  const today = new Date();
  const start = parseIsoDate(action.initial) || { y: today.getFullYear(), m: today.getMonth() + 1, d: today.getDate() };
  Object.assign(thaiPicker, { min, max, value: clampDate(start, min, max) });
  const bounds = [];
  if (action.min) bounds.push("ตั้งแต่ " + thaiDate(min));
  if (action.max) bounds.push("ถึง " + thaiDate(max));
  $("#date-range").textContent = bounds.join(" ");
  drawThaiDatePicker();
}

function fillSelect(select, values, text, selected) {
  select.replaceChildren(...values.map((value) => {
    const option = el("option", "", text(value));
    option.value = String(value);
    option.selected = value === selected;
    return option;
  }));
}

function numbers(from, to, step = 1) {
  const values = [];
  for (let v = from; step > 0 ? v <= to : v >= to; v += step) values.push(v);
  return values;
}

// Only dates between min and max can be chosen: the lists hold what the chosen year and month allow.
function drawThaiDatePicker() {
  const { min, max, value } = thaiPicker;
  // Latest year first: most dates asked for (a birth date, an enrolment) are in the past.
  fillSelect($("#date-year"), numbers(max.y, min.y, -1), (y) => String(y + BE_OFFSET), value.y);
  const firstMonth = value.y === min.y ? min.m : 1;
  const lastMonth = value.y === max.y ? max.m : 12;
  fillSelect($("#date-month"), numbers(firstMonth, lastMonth), (m) => THAI_MONTHS[m - 1], value.m);
  const sameMonth = (bound) => value.y === bound.y && value.m === bound.m;
  const firstDay = sameMonth(min) ? min.d : 1;
  const lastDay = sameMonth(max) ? max.d : daysIn(value.y, value.m);
  fillSelect($("#date-day"), numbers(firstDay, lastDay), String, value.d);
  $("#date-preview").textContent = thaiDate(value, true);
}

function pickedThaiDate() {
  return isoDate(thaiPicker.value);
}

for (const id of ["#date-day", "#date-month", "#date-year"]) {
  $(id).addEventListener("change", () => {
    const chosen = { y: Number($("#date-year").value), m: Number($("#date-month").value), d: Number($("#date-day").value) };
    thaiPicker.value = clampDate(chosen, thaiPicker.min, thaiPicker.max);
    drawThaiDatePicker();
  });
}
