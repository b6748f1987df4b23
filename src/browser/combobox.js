// combobox: looks at an ARIA combobox (role=combobox, or a button with
// aria-haspopup=listbox) that `el` is or is inside, and at its open listbox.
// arguments: [el, want]; want: the option's text, or null to only look.
// Answers {box, shown, expanded, open, options, pick, name, ambiguous}:
//   box       the combobox element (null when `el` is in none)
//   shown     the text the combobox shows, folded
//   expanded  its aria-expanded
//   open      a visible listbox was found: the one its aria-controls names, else the last
//             visible role=listbox in the document (a portal at the end of <body>)
//   options   the accessible names of the listbox's role=option items, in order
//   pick      the option named `want` (equal after folding whitespace, else equal ignoring
//             case, else the one option whose name starts with it, ignoring case),
//             scrolled into view in its listbox; name: its name
//   ambiguous the names starting with `want` when more than one does and none is equal
const [el, want] = arguments;
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
const visible = (e) => {
  const r = e.getBoundingClientRect();
  const st = window.getComputedStyle(e);
  return r.width > 0 && r.height > 0 && st.visibility !== "hidden" && st.display !== "none";
};
const box = el.closest('[role="combobox"], [aria-haspopup="listbox"]');
if (!box) return { box: null };
// An accessible name as a person reads it: aria-labelledby, else aria-label, else the text.
const nameOf = (e) => {
  const ids = (e.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
  const by = ids.map((id) => document.getElementById(id)).filter(Boolean);
  if (by.length > 0) return norm(by.map((n) => n.innerText || n.textContent).join(" "));
  const label = e.getAttribute("aria-label");
  if (label && norm(label)) return norm(label);
  return norm(e.innerText !== undefined ? e.innerText : e.textContent);
};
const shown = box.localName === "input" ? norm(box.value) : norm(box.innerText);
const answer = { box, shown, expanded: box.getAttribute("aria-expanded"), open: false, options: [] };
const controls = (box.getAttribute("aria-controls") || "").split(/\s+/).filter(Boolean);
let list = controls.map((id) => document.getElementById(id)).find((e) => e && visible(e));
if (list && list.getAttribute("role") !== "listbox") list = list.querySelector('[role="listbox"]') || list;
if (!list) {
  const all = Array.from(document.querySelectorAll('[role="listbox"]')).filter(visible);
  list = all[all.length - 1];
}
if (!list) return answer;
answer.open = true;
const items = Array.from(list.querySelectorAll('[role="option"]')).filter(
  (o) => o.getAttribute("aria-disabled") !== "true",
);
const names = items.map(nameOf);
answer.options = names;
if (want === null) return answer;
const w = norm(want);
let at = names.indexOf(w);
if (at < 0) at = names.findIndex((n) => n.toLowerCase() === w.toLowerCase());
if (at < 0) {
  const starts = names.filter((n) => n.toLowerCase().startsWith(w.toLowerCase()));
  if (starts.length === 1) at = names.indexOf(starts[0]);
  else if (starts.length > 1) answer.ambiguous = starts;
}
if (at >= 0) {
  items[at].scrollIntoView({ block: "nearest" });
  answer.pick = items[at];
  answer.name = names[at];
}
return answer;
