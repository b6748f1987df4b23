// select: chooses an option of a <select> by its visible text, else by its value, and fires
// input and change. Returns null when done, or why it cannot (the caller retries until its
// timeout). An ARIA combobox (`el` is, or is inside, role=combobox or
// aria-haspopup=listbox) is left as it is (null): the caller opens it and clicks its option
// with real pointer events (combobox.js).
// arguments: [element, option]
const [sel, want] = arguments;
if (sel.tagName !== "SELECT") {
  if (sel.closest('[role="combobox"], [aria-haspopup="listbox"]')) return null;
  return "not a <select> but a <" + sel.tagName.toLowerCase() + ">";
}
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
const opts = Array.from(sel.options);
const o = opts.find((o) => norm(o.text) === norm(want)) || opts.find((o) => o.value === want);
if (!o) return "no option " + JSON.stringify(want) + " among " + JSON.stringify(opts.map((o) => norm(o.text)));
sel.value = o.value;
sel.dispatchEvent(new Event("input", { bubbles: true }));
sel.dispatchEvent(new Event("change", { bubbles: true }));
return null;
