// The Code page's document: shows the escaped HTML built by workbench/document_view.py and reports
// what the researcher does with the mouse (or keyboard) as offsets in CODE POINTS of the source text.
//
// Every text run is a <span data-s="START"> whose single text node holds exactly text[START:END]
// (Python indices). JavaScript counts UTF-16 units, so an emoji is 2 here and 1 in Python: the
// offset inside a run is converted with cpCount() before it leaves this file.
//
// Triggers sent to Python: selection {start, end}, clicked {offset, kind, id}, decide {action, id}.

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

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let state = parentElement.__wbDoc;
  if (!state) {
    const root = document.createElement("div");
    root.className = "wb-doc";
    root.setAttribute("role", "document");
    parentElement.appendChild(root);
    state = parentElement.__wbDoc = { root, version: null, focusNonce: null, runs: [], lastSent: "" };

    const sendSelection = () => {
      const sel = window.getSelection();
      if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return false;
      const range = sel.getRangeAt(0);
      if (!root.contains(range.commonAncestorContainer)) return false;
      const start = pointToOffset(range.startContainer, range.startOffset, false, root, state.runs);
      const end = pointToOffset(range.endContainer, range.endOffset, true, root, state.runs);
      if (start === null || end === null || end <= start) return false;
      const key = `${state.version}:${start}:${end}`;
      if (key === state.lastSent) return true;
      state.lastSent = key;
      root.dataset.selection = `${start},${end}`; // what was reported, for tests and debugging
      setTriggerValue("selection", { start, end, text: sel.toString().slice(0, 200) });
      return true;
    };

    const onMouseUp = (event) => {
      if (event.target.closest && event.target.closest("button, .wb-chip")) return;
      setTimeout(() => {
        if (sendSelection()) return;
        const run = runOf(event.target, root);
        if (run && (run.dataset.c || run.dataset.g)) {
          setTriggerValue("clicked", { offset: runStart(run), kind: "run", id: null });
        }
      }, 0);
    };
    const onKeyUp = (event) => {
      if (event.shiftKey || event.key === "Shift") sendSelection();
      if (event.key === "Enter" && event.target.classList && event.target.classList.contains("wb-chip")) {
        onChip(event.target);
      }
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
        return;
      }
      run.classList.add("wb-flash");
      setTimeout(() => run.classList.remove("wb-flash"), 1600);
    };
    const onChip = (chip) => {
      const kind = chip.dataset.k === "c" ? "coding" : "suggestion";
      flash(Number(chip.dataset.s), 0);
      setTriggerValue("clicked", { offset: Number(chip.dataset.s), kind, id: Number(chip.dataset.id) });
    };
    const onClick = (event) => {
      const button = event.target.closest && event.target.closest("button[data-act]");
      if (button && root.contains(button)) {
        const chip = button.closest(".wb-chip");
        button.disabled = true;
        chip.classList.add("wb-busy");
        setTriggerValue("decide", { action: button.dataset.act, id: Number(chip.dataset.id) });
        return;
      }
      const chip = event.target.closest && event.target.closest(".wb-chip");
      if (chip && root.contains(chip)) onChip(chip);
    };
    root.addEventListener("mouseup", onMouseUp);
    root.addEventListener("keyup", onKeyUp);
    root.addEventListener("click", onClick);
    state.flash = flash;
  }

  const { root } = state;
  if (data && data.version !== state.version) {
    const scroll = data.source === state.source ? root.scrollTop : 0;
    state.source = data.source;
    root.innerHTML = data.html; // built and escaped by workbench/document_view.py
    root.scrollTop = scroll;
    state.runs = Array.from(root.querySelectorAll(".wb-tx > span[data-s]"));
    state.version = data.version;
    state.lastSent = "";
    root.dataset.version = data.version;
  }
  root.style.maxHeight = data && data.height ? `${data.height}px` : "";
  if (data && data.focus && data.focus.nonce !== state.focusNonce) {
    state.focusNonce = data.focus.nonce;
    requestAnimationFrame(() => state.flash(data.focus.offset, data.focus.end || 0));
  }
}
