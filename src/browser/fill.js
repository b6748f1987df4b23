// fill: sets a field's value in one step, the way a paste does. Returns null when done, or
// why the element cannot be filled yet (the caller retries until its timeout).
// arguments: [element, value]
const [el, value] = arguments;
if (el.disabled) return "it is disabled";
if (el.readOnly) return "it is read-only";
el.focus();
if (el.isContentEditable) {
  document.execCommand("selectAll", false, null);
  if (!document.execCommand("insertText", false, value)) el.textContent = value;
  el.dispatchEvent(new Event("change", { bubbles: true }));
  return null;
}
const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
  : el instanceof HTMLInputElement ? HTMLInputElement.prototype : null;
if (!proto) return "it is not a text field";
const setValue = Object.getOwnPropertyDescriptor(proto, "value").set;
// Empty it quietly, then insert: insertText is a real edit (beforeinput and input fire, and
// a page that formats what is typed — a card number mask — formats it once).
setValue.call(el, "");
const inserted = value !== "" && document.execCommand("insertText", false, value);
if (!inserted) {
  // The native setter, so frameworks that track the value still see the change.
  setValue.call(el, value);
  el.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: value }));
}
el.dispatchEvent(new Event("change", { bubbles: true }));
return null;
