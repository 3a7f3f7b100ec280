// The Code page's document: shows the escaped HTML built by workbench/ui/document_view.py and reports
// what the researcher does with the mouse or the keyboard as offsets in CODE POINTS of the source text.
//
// Every text run is a <span data-s="START"> whose single text node holds exactly text[START:END]
// (Python indices). JavaScript counts UTF-16 units, so an emoji is 2 here and 1 in Python: the
// offset inside a run is converted with cpCount() before it leaves this file.
//
// Above the text, a bar: the code finder and the quick codes (keys 1-9, click, or drag onto the selection),
// the speaker filter and the coding stripes. Beside the text, the margin cards are placed level with their
// first words, and the stripes show each coding's extent. Everything shown from the data (code names,
// speakers) goes in as textContent, never as HTML.
//
// Triggers sent to Python: selection {start, end}, clicked {offset, kind, id}, decide {action, id},
// apply {code, start, end}, history {direction}; the last three carry a nonce (see nonce()). A read-only
// document (a viewer in team mode) hides the finder and the quick codes and sends none of the last three.

const KEYS = [ // [key, what it does, whether it changes the project (not listed in a read-only document)]
  ["1 … 9", "apply that quick code to the selected words", true],
  ["a / r", "accept / reject the current suggestion", true],
  ["j / k", "next / previous suggestion", false],
  ["Ctrl+Z", "undo", true], ["Ctrl+Shift+Z", "redo", true],
  ["/", "find a code (Enter applies the first)", true],
  ["?", "show or hide these keys", false],
];
const STRIPES_WIDTH = 26; // px: the stripes column; lanes share it
// The speaker filter and the stripe mode outlast leaving the page (this browser tab's sessionStorage).
const remembered = (key, fallback) => {
  try { return window.sessionStorage.getItem(key) ?? fallback; } catch (_) { return fallback; }
};
const remember = (key, value) => {
  try { window.sessionStorage.setItem(key, value); } catch (_) { /* storage off: the page forgets */ }
};

function cpCount(s, units) {
  // Code points in the first `units` UTF-16 units of s (a pair split in half counts as one).
  let n = 0;
  for (let i = 0; i < units && i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function unitsFor(s, points) {
  // UTF-16 units taken by the first `points` code points of s.
  let i = 0;
  for (let n = 0; n < points && i < s.length; n++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return i;
}

function runOf(node, root) {
  const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  const run = el && el.closest ? el.closest(".wb-tx > span[data-s]") : null;
  return run && root.contains(run) ? run : null;
}

function runStart(run) { return Number(run.dataset.s); }
function runEnd(run) { return runStart(run) + cpCount(run.textContent, run.textContent.length); }

function pointToOffset(node, offset, isEnd, root, runs) {
  const run = runOf(node, root);
  if (run) {
    if (node.nodeType === Node.TEXT_NODE) return runStart(run) + cpCount(node.data, offset);
    return offset === 0 ? runStart(run) : runEnd(run);
  }
  // The point lies between runs (a header, the margin, a block edge): take the nearest run after it
  // for a start and the nearest run before it for an end. Runs are in document order: binary search.
  const point = document.createRange();
  point.setStart(node, offset);
  let lo = 0, hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (point.comparePoint(runs[mid], 0) < 0) lo = mid + 1; else hi = mid;
  }
  if (isEnd) return lo > 0 ? runEnd(runs[lo - 1]) : null;
  return lo < runs.length ? runStart(runs[lo]) : null;
}

function findRun(runs, offset) {
  let lo = 0, hi = runs.length - 1, best = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (runStart(runs[mid]) <= offset) { best = runs[mid]; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
}

function nonce() {
  // Each action once: Streamlit may deliver a trigger again with a rerun that interrupts the first.
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function isTyping(target) {
  return !!(target && target.closest && target.closest("input, textarea, select, [contenteditable='true'], [contenteditable='']"));
}

// -- margin cards and stripes, laid out block by block as blocks come near the screen ------------------
function layoutMargin(block, runsByStart) {
  const margin = block.querySelector(":scope > .wb-row > .wb-mg");
  if (!margin || !margin.firstElementChild) return;
  block.classList.add("wb-laid");
  const base = margin.getBoundingClientRect().top;
  const firstRun = block.querySelector(".wb-tx > span[data-s]");
  let floor = 0;
  for (const chip of margin.children) {
    const run = runsByStart.get(chip.dataset.s);
    const anchor = run && block.contains(run) ? run : firstRun; // words in a hidden label: the block's top
    const rect = anchor ? anchor.getClientRects()[0] : null;
    const top = Math.max(rect ? rect.top - base : 0, floor);
    chip.style.top = `${top}px`;
    floor = top + chip.offsetHeight + 2;
  }
  margin.style.minHeight = `${floor}px`; // long turns: cards wrap below each other, never overlap
}

function layoutStripes(block, codings, mode) {
  const column = block.querySelector(":scope > .wb-row > .wb-st");
  if (!column) return;
  column.textContent = "";
  if (mode === "off") return;
  const base = column.getBoundingClientRect().top;
  const extents = new Map(); // coding id -> [top, bottom] within this block
  for (const run of block.querySelectorAll(".wb-tx > span[data-c]")) {
    const rects = run.getClientRects();
    if (!rects.length) continue;
    const top = rects[0].top - base, bottom = rects[rects.length - 1].bottom - base;
    for (const id of run.dataset.c.split(" ")) {
      const seen = extents.get(id);
      if (seen) { seen[0] = Math.min(seen[0], top); seen[1] = Math.max(seen[1], bottom); }
      else extents.set(id, [top, bottom]);
    }
  }
  if (!extents.size) return;
  // One lane per code (by code) or per coder and code (by coder), in a stable order.
  const laneOf = new Map();
  const keyOf = (info) => (mode === "coder" ? `${info.coder}\u0000${info.code}` : info.code);
  const keys = [...new Set([...extents.keys()].map((id) => codings.get(id)).filter(Boolean).map(keyOf))].sort();
  keys.forEach((key, i) => laneOf.set(key, i));
  const lane = Math.max(2, Math.min(5, Math.floor(STRIPES_WIDTH / Math.max(1, keys.length)) - 1));
  for (const [id, [top, bottom]] of extents) {
    const info = codings.get(id);
    if (!info) continue;
    const stripe = el("div", "wb-stripe");
    stripe.dataset.id = id;
    stripe.dataset.s = info.start;
    stripe.style.top = `${top}px`;
    stripe.style.height = `${Math.max(4, bottom - top)}px`;
    stripe.style.left = `${laneOf.get(keyOf(info)) * (lane + 1)}px`;
    stripe.style.width = `${lane}px`;
    stripe.style.background = info.color;
    stripe.title = `${info.name} — ${info.coder}`;
    column.appendChild(stripe);
  }
}

function topRun(root, runs) {
  // The first run showing at the top of the document box, and how far below the box's top it starts.
  const box = root.getBoundingClientRect();
  let lo = 0, hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid].getBoundingClientRect().bottom <= box.top) lo = mid + 1; else hi = mid;
  }
  const run = runs[lo];
  return run ? { offset: runStart(run), delta: run.getBoundingClientRect().top - box.top } : null;
}

function blockHeights(root) {
  const heights = new Map();
  for (const block of root.querySelectorAll(".wb-block")) heights.set(block.dataset.s, block.getBoundingClientRect().height);
  return heights;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let state = parentElement.__wbDoc;
  if (!state) {
    const wrap = el("div", "wb-wrap");
    const bar = el("div", "wb-bar");
    const find = el("input", "wb-find");
    find.type = "search";
    find.placeholder = "Find a code  ( / )";
    find.setAttribute("aria-label", "Find a code");
    const quick = el("div", "wb-quick");
    const speaker = el("select", "wb-speaker");
    speaker.setAttribute("aria-label", "Show turns by");
    const stripes = el("select", "wb-stripes-mode");
    stripes.setAttribute("aria-label", "Coding stripes");
    for (const [value, label] of [["code", "Stripes by code"], ["coder", "Stripes by coder"], ["off", "No stripes"]]) {
      const option = el("option", "", label);
      option.value = value;
      stripes.appendChild(option);
    }
    const help = el("button", "wb-keys-button", "?");
    help.type = "button";
    help.title = "Keyboard shortcuts (?)";
    const hint = el("div", "wb-hint");
    bar.append(find, speaker, stripes, help, quick, hint);
    const keys = el("div", "wb-keys");
    keys.hidden = true;
    keys.appendChild(el("b", "", "Keys on the Code page"));
    for (const [key, what, writes] of KEYS) {
      const row = el("div");
      if (writes) row.dataset.writes = "1";
      row.append(el("kbd", "", key), document.createTextNode(` ${what}`));
      keys.appendChild(row);
    }
    const root = el("div", "wb-doc");
    root.setAttribute("role", "document");
    wrap.append(bar, keys, root);
    parentElement.appendChild(wrap);
    state = parentElement.__wbDoc = {
      root, find, quick, speaker, stripes, keys, hint, version: null, focusNonce: null, runs: [], lastSent: "",
      runsByStart: new Map(), codings: new Map(), codes: [], codesKey: "", selection: null, current: null,
      pointer: null, stripeMode: remembered("wb.stripes", "code"), who: remembered("wb.speaker", ""),
      dirty: new Set(),
    };
    stripes.value = state.stripeMode;
    root.dataset.stripes = state.stripeMode;

    const say = (text) => {
      state.hint.textContent = text;
      clearTimeout(state.hintTimer);
      state.hintTimer = setTimeout(() => { state.hint.textContent = ""; }, 4000);
    };

    // -- selection ------------------------------------------------------------------------------------
    const currentSelection = () => {
      const sel = window.getSelection();
      if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
      const range = sel.getRangeAt(0);
      if (!root.contains(range.commonAncestorContainer)) return null;
      const start = pointToOffset(range.startContainer, range.startOffset, false, root, state.runs);
      const end = pointToOffset(range.endContainer, range.endOffset, true, root, state.runs);
      if (start === null || end === null || end <= start) return null;
      return { start, end, text: sel.toString().slice(0, 200) };
    };
    const sendSelection = () => {
      const picked = currentSelection();
      if (!picked) return false;
      state.selection = { start: picked.start, end: picked.end };
      const key = `${state.version}:${picked.start}:${picked.end}`;
      if (key === state.lastSent) return true;
      state.lastSent = key;
      root.dataset.selection = `${picked.start},${picked.end}`; // what was reported, for tests and debugging
      setTriggerValue("selection", picked);
      return true;
    };

    // -- applying codes: quick codes, the finder, dragging -------------------------------------------------
    const applyCode = (codeId) => {
      if (state.readonly) return;
      const picked = currentSelection() || state.selection;
      if (!picked) { say("Select words in the text first, then apply a code."); return; }
      const code = state.codes.find((c) => c.id === codeId);
      say(`Applying ${code ? code.name : "the code"}…`);
      setTriggerValue("apply", { code: codeId, start: picked.start, end: picked.end, nonce: nonce() });
    };
    const shownCodes = () => {
      const query = find.value.trim().toLowerCase();
      if (!query) return state.codes.slice(0, 9);
      const hits = state.codes.filter((c) => c.path.toLowerCase().includes(query));
      const rank = (c) => (c.name.toLowerCase() === query ? 0 : c.name.toLowerCase().startsWith(query) ? 1 : 2);
      return hits.sort((a, b) => rank(a) - rank(b)).slice(0, 9);
    };
    const drawQuick = () => {
      quick.textContent = "";
      const codes = shownCodes();
      if (!codes.length) quick.appendChild(el("span", "wb-none", "No code matches."));
      codes.forEach((code, i) => {
        const pill = el("button", "wb-pill");
        pill.type = "button";
        pill.draggable = true;
        pill.dataset.code = code.id;
        pill.title = `${code.path}: ${code.count} codings. Key ${i + 1}, a click, or drag it onto the selected words.`;
        const dot = el("i");
        dot.style.background = code.color;
        pill.append(el("kbd", "", String(i + 1)), dot, el("span", "wb-name", code.name),
                    el("small", "", String(code.count)));
        if (code.recent) pill.classList.add("wb-recent");
        quick.appendChild(pill);
      });
      // The panel keeps the tallest height it has had: finding a code never moves the text below it.
      state.quickHeight = Math.max(state.quickHeight || 0, quick.offsetHeight);
      quick.style.minHeight = `${state.quickHeight}px`;
    };
    quick.addEventListener("click", (event) => {
      const pill = event.target.closest && event.target.closest(".wb-pill");
      if (pill) applyCode(Number(pill.dataset.code));
    });
    quick.addEventListener("dragstart", (event) => {
      const pill = event.target.closest && event.target.closest(".wb-pill");
      if (!pill) return;
      state.selection = currentSelection() || state.selection;
      event.dataTransfer.setData("application/x-wb-code", pill.dataset.code);
      event.dataTransfer.effectAllowed = "copy";
    });
    root.addEventListener("dragover", (event) => {
      if (event.dataTransfer.types.includes("application/x-wb-code")) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
      }
    });
    root.addEventListener("drop", (event) => {
      const code = event.dataTransfer.getData("application/x-wb-code");
      if (!code) return;
      event.preventDefault();
      applyCode(Number(code));
    });
    find.addEventListener("input", drawQuick);
    find.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        const [first] = shownCodes();
        if (!first) { say("No code matches."); return; }
        applyCode(first.id);
        find.value = ""; // back to the text: the keys work again
        drawQuick();
        find.blur();
      } else if (event.key === "Escape") {
        find.value = "";
        drawQuick();
        find.blur();
      }
    });

    // -- speaker filter and stripes --------------------------------------------------------------------
    const filterSpeakers = () => {
      const who = speaker.value;
      state.who = who;
      for (const block of root.querySelectorAll(".wb-block")) {
        const shown = !who || (who.startsWith("role:") ? block.dataset.role === who.slice(5)
          : block.dataset.speaker === who.slice(8));
        block.classList.toggle("wb-hidden", !shown);
      }
      root.dataset.speaker = who;
    };
    speaker.addEventListener("change", () => { filterSpeakers(); remember("wb.speaker", state.who); layoutVisible(); });
    stripes.addEventListener("change", () => {
      state.stripeMode = stripes.value;
      remember("wb.stripes", stripes.value);
      root.dataset.stripes = stripes.value;
      if (stripes.value === "off") for (const stripe of root.querySelectorAll(".wb-stripe")) stripe.remove();
      for (const block of root.querySelectorAll(".wb-block")) state.dirty.add(block);
      layoutVisible();
    });

    // -- layout of cards and stripes -----------------------------------------------------------------------
    const layoutBlock = (block) => {
      if (!state.dirty.has(block) || block.classList.contains("wb-hidden")) return;
      state.dirty.delete(block);
      layoutMargin(block, state.runsByStart);
      layoutStripes(block, state.codings, state.stripeMode);
    };
    const layoutVisible = () => {
      const box = root.getBoundingClientRect();
      for (const block of state.dirty) {
        const r = block.getBoundingClientRect();
        if (r.bottom >= box.top - box.height && r.top <= box.bottom + box.height) layoutBlock(block);
      }
    };
    state.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) if (entry.isIntersecting) layoutBlock(entry.target);
    }, { root, rootMargin: "50% 0px" });
    // The text column's width changes (window, sidebar): every block's lines move.
    let lastWidth = 0;
    new ResizeObserver(() => {
      if (Math.abs(root.clientWidth - lastWidth) < 1) return;
      lastWidth = root.clientWidth;
      for (const block of root.querySelectorAll(".wb-block")) state.dirty.add(block);
      layoutVisible();
    }).observe(root);

    // -- hover: a card and its words light up together ------------------------------------------------
    const hot = new Set();
    const cool = () => { for (const node of hot) node.classList.remove("wb-hot"); hot.clear(); };
    const light = (nodes) => { for (const node of nodes) { node.classList.add("wb-hot"); hot.add(node); } };
    root.addEventListener("mouseover", (event) => {
      cool();
      const target = event.target;
      const chip = target.closest && target.closest(".wb-chip, .wb-stripe");
      if (chip) {
        const attr = chip.classList.contains("wb-stripe") || chip.dataset.k === "c" ? "data-c" : "data-g";
        light(root.querySelectorAll(`.wb-tx > span[${attr}~="${chip.dataset.id}"]`));
        light([chip]);
        return;
      }
      const run = runOf(target, root);
      if (!run || !(run.dataset.c || run.dataset.g)) return;
      const ids = [...(run.dataset.c ? run.dataset.c.split(" ").map((id) => `.wb-chip[data-k="c"][data-id="${id}"]`) : []),
                   ...(run.dataset.g ? run.dataset.g.split(" ").map((id) => `.wb-chip[data-k="g"][data-id="${id}"]`) : [])];
      light(root.querySelectorAll(ids.join(",")));
      light([run]);
    });
    root.addEventListener("mouseleave", cool);

    // -- the current suggestion (j/k, a/r) --------------------------------------------------------------
    const suggestionChips = () => [...root.querySelectorAll('.wb-block:not(.wb-hidden) .wb-chip[data-k="g"]')];
    const setCurrent = (chip, scroll = true) => {
      for (const old of root.querySelectorAll(".wb-chip.wb-cur")) old.classList.remove("wb-cur");
      state.current = chip ? chip.dataset.id : null;
      root.dataset.current = state.current || "";
      if (!chip) return;
      chip.classList.add("wb-cur");
      chip.focus({ preventScroll: true });
      if (scroll) chip.scrollIntoView({ block: "nearest" }); // in the document box and in the window
    };
    const currentChip = () => (state.current
      ? root.querySelector(`.wb-chip[data-k="g"][data-id="${state.current}"]`) : null);
    const move = (step) => {
      const chips = suggestionChips();
      if (!chips.length) { say("No suggestions in this source."); return; }
      const at = chips.indexOf(currentChip());
      const next = at < 0 ? (step > 0 ? 0 : chips.length - 1) : Math.min(chips.length - 1, Math.max(0, at + step));
      setCurrent(chips[next]);
    };
    const decide = (action, chip) => {
      if (state.readonly) return; // a viewer: the page sends no ✓ ✗ and no quick codes, and no key decides
      const chips = suggestionChips();
      const at = chips.indexOf(chip);
      const after = chips[at + 1] || chips[at - 1]; // the next suggestion becomes current once this one is gone
      state.current = after ? after.dataset.id : null;
      chip.classList.add("wb-busy");
      for (const button of chip.querySelectorAll("button")) button.disabled = true;
      setTriggerValue("decide", { action, id: Number(chip.dataset.id), nonce: nonce() });
    };

    // -- mouse -------------------------------------------------------------------------------------------
    const onMouseUp = (event) => {
      if (event.target.closest && event.target.closest("button, .wb-chip, .wb-stripe")) return;
      setTimeout(() => {
        if (sendSelection()) return;
        const run = runOf(event.target, root);
        if (run && (run.dataset.c || run.dataset.g)) {
          setTriggerValue("clicked", { offset: runStart(run), kind: "run", id: null });
        }
      }, 0);
    };
    const scrollTo = (run) => {
      // Scroll the document box only (not the page), twice: turns laid out late may shift it.
      const place = () => {
        const box = root.getBoundingClientRect(), at = run.getBoundingClientRect();
        root.scrollTop += at.top - box.top - root.clientHeight / 3;
      };
      place();
      requestAnimationFrame(place);
    };
    const flash = (start, end) => {
      const run = findRun(state.runs, start);
      if (!run) return;
      scrollTo(run);
      if (end > start) {  // show the words themselves as selected: [start, end) in code points
        const last = findRun(state.runs, end - 1);
        const range = document.createRange();
        range.setStart(run.firstChild, unitsFor(run.textContent, start - runStart(run)));
        range.setEnd(last.firstChild, unitsFor(last.textContent, end - runStart(last)));
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        state.lastSent = `${state.version}:${start}:${end}`;
        state.selection = { start, end };
        return;
      }
      run.classList.add("wb-flash");
      setTimeout(() => run.classList.remove("wb-flash"), 1600);
    };
    const onChip = (chip) => {
      const kind = chip.dataset.k === "c" ? "coding" : "suggestion";
      if (kind === "suggestion") setCurrent(chip, false);
      flash(Number(chip.dataset.s), 0);
      setTriggerValue("clicked", { offset: Number(chip.dataset.s), kind, id: Number(chip.dataset.id) });
    };
    const onClick = (event) => {
      const button = event.target.closest && event.target.closest("button[data-act]");
      if (button && root.contains(button)) {
        decide(button.dataset.act, button.closest(".wb-chip"));
        return;
      }
      const stripe = event.target.closest && event.target.closest(".wb-stripe");
      if (stripe && root.contains(stripe)) {  // a stripe selects its coding: shown beside the text
        flash(Number(stripe.dataset.s), 0);
        setTriggerValue("clicked", { offset: Number(stripe.dataset.s), kind: "coding", id: Number(stripe.dataset.id) });
        return;
      }
      const chip = event.target.closest && event.target.closest(".wb-chip");
      if (chip && root.contains(chip)) onChip(chip);
    };
    const onKeyUp = (event) => {
      if (event.shiftKey || event.key === "Shift") sendSelection();
      if (event.key === "Enter" && event.target.classList && event.target.classList.contains("wb-chip")) {
        onChip(event.target);
      }
    };
    root.addEventListener("mouseup", onMouseUp);
    root.addEventListener("keyup", onKeyUp);
    root.addEventListener("click", onClick);
    root.addEventListener("focusin", (event) => {
      const chip = event.target.closest && event.target.closest('.wb-chip[data-k="g"]');
      if (chip && chip.dataset.id !== state.current) setCurrent(chip, false);
    });
    help.addEventListener("click", () => { keys.hidden = !keys.hidden; });

    // -- no surprises under the pointer ------------------------------------------------------------------
    // After the document is redrawn (an accept, a reject), a button that has come to lie under a pointer
    // that has not moved does not take clicks until the pointer moves: a double click never decides
    // a suggestion nobody has read.
    const onPointerMove = (event) => {
      const moved = !state.pointer || Math.abs(event.clientX - state.pointer.x) + Math.abs(event.clientY - state.pointer.y) > 2;
      state.pointer = { x: event.clientX, y: event.clientY };
      if (moved && root.classList.contains("wb-settle")) root.classList.remove("wb-settle");
    };
    state.settle = () => {
      if (!state.pointer) return;
      const under = document.elementFromPoint(state.pointer.x, state.pointer.y);
      if (under && under.closest && under.closest(".wb-doc button[data-act]")) root.classList.add("wb-settle");
    };

    // -- keyboard: listen on the document, ignore keys typed into fields --------------------------------
    const onKeyDown = (event) => {
      if (!root.isConnected) { document.removeEventListener("keydown", onKeyDown, true); return; }
      if (event.defaultPrevented || event.altKey || isTyping(event.target)) return;
      const key = event.key;
      if (event.ctrlKey || event.metaKey) {
        if (key.toLowerCase() === "z" && !state.readonly) {
          event.preventDefault();
          setTriggerValue("history", { direction: event.shiftKey ? "redo" : "undo", nonce: nonce() });
        }
        return;
      }
      if (key >= "1" && key <= "9") {
        const code = shownCodes()[Number(key) - 1];
        if (code) { event.preventDefault(); applyCode(code.id); }
      } else if (key === "a" || key === "r") {
        const chip = currentChip();
        if (!chip) { say("Press j to pick a suggestion first."); return; }
        event.preventDefault();
        decide(key === "a" ? "accept" : "reject", chip);
      } else if (key === "j" || key === "k") {
        event.preventDefault();
        move(key === "j" ? 1 : -1);
      } else if (key === "/") {
        event.preventDefault();
        find.focus();
        find.select();
      } else if (key === "?") {
        event.preventDefault();
        keys.hidden = !keys.hidden;
      } else if (key === "Escape" && !keys.hidden) {
        keys.hidden = true;
      }
    };
    if (window.__wbDocKeys) document.removeEventListener("keydown", window.__wbDocKeys, true);
    if (window.__wbDocPointer) document.removeEventListener("mousemove", window.__wbDocPointer, true);
    window.__wbDocKeys = onKeyDown;
    window.__wbDocPointer = onPointerMove;
    document.addEventListener("keydown", onKeyDown, true);
    document.addEventListener("mousemove", onPointerMove, true);
    state.flash = flash;
    state.drawQuick = drawQuick;
    state.filterSpeakers = filterSpeakers;
    state.layoutVisible = layoutVisible;
    state.setCurrent = setCurrent;
    state.currentChip = currentChip;
  }

  const { root } = state;
  if (data && data.version !== state.version) {
    const same = data.source === state.source;
    const scroll = same ? root.scrollTop : 0;
    const anchor = same ? topRun(root, state.runs) : null; // the words at the top of the box stay there
    const heights = same ? blockHeights(root) : new Map();
    if (!same) state.current = null;
    state.source = data.source;
    state.observer.disconnect();
    root.innerHTML = data.html; // built and escaped by workbench/ui/document_view.py
    for (const block of root.querySelectorAll(".wb-block")) {
      const height = heights.get(block.dataset.s);  // turns off screen keep their height: nothing shifts
      if (height) block.style.containIntrinsicSize = `auto ${height}px`;
    }
    root.scrollTop = scroll;
    state.runs = Array.from(root.querySelectorAll(".wb-tx > span[data-s]"));
    state.runsByStart = new Map(state.runs.map((run) => [run.dataset.s, run]));
    state.codings = new Map();
    for (const chip of root.querySelectorAll('.wb-chip[data-k="c"]')) {
      state.codings.set(chip.dataset.id, {
        code: chip.dataset.code, coder: chip.dataset.coder, start: chip.dataset.s,
        color: chip.style.getPropertyValue("--c"), name: chip.querySelector(".wb-name").textContent,
      });
    }
    state.version = data.version;
    state.lastSent = "";
    state.hint.textContent = "";
    state.selection = null;
    root.dataset.version = data.version;
    root.dataset.stripes = state.stripeMode;
    // The speakers of this source, and their roles, for the filter.
    const blocks = root.querySelectorAll(".wb-block");
    const speakers = [...new Set([...blocks].map((b) => b.dataset.speaker).filter(Boolean))];
    const options = [["", "Every speaker"]];
    if (speakers.length > 1) {
      options.push(["role:tells", "Participants (who tell)"], ["role:asks", "Interviewers (who ask)"]);
      for (const name of speakers) options.push([`speaker:${name}`, name]);
    }
    state.speaker.textContent = "";
    for (const [value, label] of options) {
      const option = el("option", "", label);
      option.value = value;
      state.speaker.appendChild(option);
    }
    state.speaker.value = options.some(([value]) => value === state.who) ? state.who : "";
    state.speaker.hidden = options.length === 1;
    state.filterSpeakers();
    state.dirty = new Set(blocks);
    state.layoutVisible();
    if (anchor) {
      const run = findRun(state.runs, anchor.offset);
      if (run) root.scrollTop += run.getBoundingClientRect().top - root.getBoundingClientRect().top - anchor.delta;
      state.layoutVisible();
    }
    for (const block of blocks) state.observer.observe(block);
    const chip = state.currentChip();
    if (chip) state.setCurrent(chip, false);
    state.settle();
    requestAnimationFrame(() => { state.layoutVisible(); state.settle(); });
  }
  if (data && data.panel) {
    const panel = JSON.parse(data.panel); // {codes, selection, readonly}: plain data, shown as text
    state.readonly = Boolean(panel.readonly);
    state.find.hidden = state.quick.hidden = state.readonly;
    for (const row of state.keys.querySelectorAll("[data-writes]")) row.hidden = state.readonly;
    const codesKey = JSON.stringify(panel.codes || []);
    if (codesKey !== state.codesKey) {
      state.codesKey = codesKey;
      state.codes = panel.codes || [];
      state.drawQuick();
    }
    if (panel.selection && !state.selection) state.selection = panel.selection;
    if (!panel.selection && state.selection && !window.getSelection().toString()) state.selection = null;
  }
  root.style.maxHeight = data && data.height ? `${data.height}px` : "";
  if (data && data.focus && data.focus.nonce !== state.focusNonce) {
    state.focusNonce = data.focus.nonce;
    requestAnimationFrame(() => state.flash(data.focus.offset, data.focus.end || 0));
  }
}
