// Waits in the page until a condition holds, then answers once (an execute_async script).
// It checks at once, then on the next animation frame after the DOM changed (a
// MutationObserver, input and change events), and at least every 100 ms (CSS transitions
// change nothing a MutationObserver sees; timers still run where frames are throttled),
// until `spec.budget` ms have passed, and never past `spec.end` (epoch ms): the driver may
// run the script again in a page that replaced the one it started in, and a page that
// keeps reloading must not keep a call alive. The caller loops over calls up to its timeout.
// Prepended: `locate`, `fill` and `choose` (locate.js, fill.js, select.js as functions).
// arguments: [spec, done]; spec = {
//   locator: {kind, value} | null  null: the page's visible text (`until: "text"` only)
//   until: "visible"   its first match is visible; with `act` ("scroll", "click": scroll and
//                      nothing covers its middle, "fill", "select" with `value`) it is
//                      scrolled to the middle, and the act must succeed
//        | "shown"     some match is visible   | "hidden"   no match is visible
//        | "text"      the text of its first visible match (or the page's) passes `text`
//   text: {mode: "equals" | "contains" | "matches" | "changes", want, seen}
//   budget: ms, end: epoch ms }
// Answers {held, count, visible, text, e, tag, blocked} (e: the first visible match, tag
// its element name; blocked: why `act` failed), or {invalid} (a broken locator), or
// {error} (the check threw).
const [spec, done] = arguments;
const started = performance.now();
// A clock that disagrees with the caller's (a remote browser) leaves the budget as it is.
const left = spec.end - Date.now();
const budget = left >= 0 && left < spec.budget ? left : spec.budget;
const space = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
// As Rust's `split_whitespace().join(" ")`, so folded texts compare as the runner's do.
const fold = (s) => s.split(space).filter((w) => w !== "").join(" ");
const textTest = (() => {
  const t = spec.text;
  if (!t) return null;
  if (t.mode === "equals") {
    const want = fold(t.want);
    return (s) => fold(s) === want;
  }
  if (t.mode === "contains") {
    const want = fold(t.want);
    return (s) => fold(s).includes(want);
  }
  if (t.mode === "matches") {
    try {
      const re = new RegExp(t.want, "u");
      return (s) => re.test(s);
    } catch (e) {
      // Not a pattern this page can run: report each change, the caller decides.
    }
  }
  // Every change, at most every 100 ms: the caller checks the text itself.
  return (s) => t.seen === null || performance.now() - started >= 100;
})();
const look = () => {
  if (!spec.locator) {
    const text = (document.body ? document.body.innerText : "") || "";
    return { held: text !== spec.text.seen && textTest(text), text };
  }
  const found = locate(spec.locator.kind, spec.locator.value);
  if (!Array.isArray(found)) return { invalid: found.error };
  const visible = found.filter((m) => m.v).length;
  const first = visible > 0 ? found[0] : null;
  const seen = { held: false, count: found.length, visible };
  if (spec.until === "hidden") return { ...seen, held: visible === 0 };
  if (spec.until === "shown") return { ...seen, held: visible > 0 };
  if (!first) return seen;
  if (spec.until === "text") {
    return { ...seen, text: first.t, held: first.t !== spec.text.seen && textTest(first.t) };
  }
  const blocked = act(first.e);
  if (blocked) return { ...seen, text: first.t, blocked };
  return { ...seen, held: true, text: first.t, e: first.e, tag: first.e.localName };
};
// An element as the driver describes it: its start tag, and `...` for what it holds.
const describe = (el) => {
  const html = el.outerHTML;
  if (!el.firstChild) return html;
  return html.slice(0, html.indexOf(">") + 1) + "...</" + el.localName + ">";
};
// Why a pointer at the middle of its (first) box would not reach `el`, or null.
const covered = (el) => {
  const r = el.getClientRects()[0];
  const x = Math.floor((Math.max(0, r.left) + Math.min(innerWidth, r.right)) / 2);
  const y = Math.floor((Math.max(0, r.top) + Math.min(innerHeight, r.bottom)) / 2);
  const hit = document.elementFromPoint(x, y);
  if (hit && (hit === el || el.contains(hit))) return null;
  return "element click intercepted: Element " + describe(el) + " is not clickable at point (" +
    x + ", " + y + "). Other element would receive the click: " + (hit ? describe(hit) : "none");
};
let scrolled = null;
const act = (el) => {
  if (!spec.act) return null;
  if (el !== scrolled) {
    el.scrollIntoView({ block: "center", inline: "center" });
    scrolled = el;
  }
  if (spec.act === "fill") return fill(el, spec.value);
  if (spec.act === "select") return choose(el, spec.value);
  // An <option> is chosen by the driver's element click, which does not hit-test.
  if (spec.act === "click" && el.localName !== "option") return covered(el);
  return null;
};
let over = false;
let dirty = false;
let lastCheck = started;
const mark = () => {
  dirty = true;
};
const observer = new MutationObserver(mark);
const finish = (answer) => {
  if (over) return;
  over = true;
  observer.disconnect();
  clearInterval(timer);
  clearTimeout(deadline);
  document.removeEventListener("input", mark, true);
  document.removeEventListener("change", mark, true);
  done(answer);
};
let last = null;
const check = () => {
  if (over) return;
  dirty = false;
  lastCheck = performance.now();
  let answer;
  try {
    answer = look();
  } catch (e) {
    return finish({ error: String(e && e.message ? e.message : e) });
  }
  if (answer.held || answer.invalid !== undefined) return finish(answer);
  last = answer;
  if (performance.now() - started >= budget) finish(last);
};
const frame = () => {
  if (over) return;
  if (dirty || performance.now() - lastCheck >= 100) check();
  if (!over) requestAnimationFrame(frame);
};
const timer = setInterval(() => {
  if (performance.now() - lastCheck >= 100) check();
}, 100);
const deadline = setTimeout(check, budget);
observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
document.addEventListener("input", mark, true);
document.addEventListener("change", mark, true);
check();
if (!over) requestAnimationFrame(frame);
