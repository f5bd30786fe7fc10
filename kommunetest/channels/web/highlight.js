// Find the first of `needles` on the page, mark it (a yellow <mark> with a red outline), scroll to it and
// say whether a reader can see it. Marks from an earlier call are removed first. Whitespace and case are
// ignored. When no single text node holds the passage, the smallest element holding it is outlined.
(needles) => {
  for (const m of document.querySelectorAll("mark[data-kt-hl]")) {
    const parent = m.parentNode;
    while (m.firstChild) parent.insertBefore(m.firstChild, m);
    parent.removeChild(m);
    parent.normalize();
  }
  for (const el of document.querySelectorAll("[data-kt-hl-el]")) {
    el.style.outline = el.getAttribute("data-kt-hl-el");
    el.removeAttribute("data-kt-hl-el");
  }
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const shown = el.checkVisibility
      ? el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })
      : el.offsetParent !== null;
    return shown && r.width > 0 && r.height > 0;
  };
  const show = (el, needle, how) => {
    const seen = visible(el);
    if (seen) el.scrollIntoView({ block: "center", inline: "nearest" });
    return { found: true, visible: seen, needle, how };
  };
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD"]);
  for (const needle of needles) {
    const words = needle.trim().split(/\s+/).filter(Boolean).map(esc);
    if (!words.length) continue;
    const re = new RegExp(words.join("\\s+"), "i");
    // Every text node holding the passage; the first one a reader can see wins (a hidden menu entry with
    // the same words comes earlier in the document on many sites).
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const hits = [];
    let node;
    while ((node = walker.nextNode()) && hits.length < 50) {
      if (!node.parentElement || skip.has(node.parentElement.tagName)) continue;
      const m = re.exec(node.nodeValue);
      if (m) hits.push([node, m]);
    }
    if (hits.length) {
      const [node, m] = hits.find(([n]) => visible(n.parentElement)) || hits[0];
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const mark = document.createElement("mark");
      mark.setAttribute("data-kt-hl", "1");
      mark.style.cssText = "background:#ffeb3b;color:#000;outline:3px solid #d00000;outline-offset:2px";
      range.surroundContents(mark);
      return show(mark, needle, "text");
    }
    let best = null;
    for (const el of document.body.querySelectorAll("*")) {
      if (skip.has(el.tagName)) continue;
      const text = el.textContent || "";
      if (!re.test(text)) continue;
      const better = !best || (visible(el) && !visible(best)) ||
        (visible(el) === visible(best) && text.length < best.textContent.length);
      if (better) best = el;
    }
    if (best) {
      best.setAttribute("data-kt-hl-el", best.style.outline || "");
      best.style.outline = "3px solid #d00000";
      return show(best, needle, "element");
    }
  }
  return { found: false, visible: false, needle: null, how: null };
}
