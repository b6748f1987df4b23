// Finds elements for a walkthrough locator in the current frame.
// arguments: [kind, value]; kind is css | xpath | text | label | testid.
// Returns [{e: element, v: visible, t: text}] with visible matches first.
const [kind, value] = arguments;
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
const visible = (el) => {
  const r = el.getBoundingClientRect();
  const st = window.getComputedStyle(el);
  return r.width > 0 && r.height > 0 && st.visibility !== "hidden" && st.display !== "none" && st.opacity !== "0";
};
const textOf = (el) => {
  if (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT") {
    if (el.tagName === "SELECT") {
      const o = el.options[el.selectedIndex];
      return norm(o ? o.text : "");
    }
    return norm(el.value);
  }
  return norm(el.innerText !== undefined ? el.innerText : el.textContent);
};
const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "TITLE", "META", "LINK"]);
const deepest = (list) => list.filter((el) => !list.some((o) => o !== el && el.contains(o)));
const root = document.body || document.documentElement;
let found = [];
try {
if (kind === "css") {
  found = Array.from(document.querySelectorAll(value));
} else if (kind === "testid") {
  found = Array.from(document.querySelectorAll('[data-testid="' + CSS.escape(value) + '"]'));
} else if (kind === "xpath") {
  const r = document.evaluate(value, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
  for (let i = 0; i < r.snapshotLength; i++) {
    const n = r.snapshotItem(i);
    if (n.nodeType === 1) found.push(n);
  }
} else if (kind === "text") {
  const want = norm(value);
  // A document with no element yet (Firefox runs scripts in it while a navigation starts)
  // has no match yet, rather than a broken locator.
  const all = root ? Array.from(root.querySelectorAll("*")).filter((el) => !skip.has(el.tagName)) : [];
  const buttonish = (el) =>
    el.tagName === "INPUT" && ["button", "submit", "reset"].includes(el.type) ? norm(el.value) : null;
  let exact = all.filter((el) => (buttonish(el) ?? norm(el.innerText)) === want);
  exact = deepest(exact);
  if (exact.length === 0) {
    const lower = want.toLowerCase();
    const contains = all.filter((el) => (buttonish(el) ?? norm(el.innerText)).toLowerCase().includes(lower));
    exact = deepest(contains);
  }
  found = exact;
} else if (kind === "label") {
  const want = norm(value).toLowerCase();
  const clean = (s) => norm(s).replace(/[\s*:]+$/, "").toLowerCase();
  const controls = [];
  const add = (el) => {
    if (el && !controls.includes(el)) controls.push(el);
  };
  const pass = (match) => {
    for (const label of Array.from(document.querySelectorAll("label"))) {
      if (match(clean(label.innerText || label.textContent))) add(label.control);
    }
    for (const el of Array.from(document.querySelectorAll("[aria-label]"))) {
      if (match(clean(el.getAttribute("aria-label")))) add(el);
    }
    for (const el of Array.from(document.querySelectorAll("[aria-labelledby]"))) {
      const text = el
        .getAttribute("aria-labelledby")
        .split(/\s+/)
        .map((id) => document.getElementById(id))
        .filter(Boolean)
        .map((n) => n.innerText || n.textContent)
        .join(" ");
      if (match(clean(text))) add(el);
    }
    for (const el of Array.from(document.querySelectorAll("[placeholder]"))) {
      if (match(clean(el.getAttribute("placeholder")))) add(el);
    }
  };
  pass((t) => t === want);
  if (controls.length === 0) pass((t) => t.length > 0 && t.includes(want));
  found = controls;
}
} catch (e) {
  return { error: String(e && e.message ? e.message : e) };
}
const out = found.map((e) => ({ e, v: visible(e), t: textOf(e) }));
out.sort((a, b) => (a.v === b.v ? 0 : a.v ? -1 : 1));
return out;
