
// ---- workbench/ui/player.js (appended to document.js by workbench/ui/document.py) --------------------
// The recording follows the transcript. Contract with the document's HTML: each block is `.wb-block`
// with data-start/data-end in seconds (data-end may be missing), and its time label is `.wb-time` with
// data-start. The player is the page's native <audio> or <video> (st.audio / st.video on the Code page),
// found in the page DOM. Clicking a time plays from there; the block being played is `.wb-playing`.
(function wbPlayer() {
  if (window.__wbPlayer) return; // the module may be evaluated again; listen once
  window.__wbPlayer = true;

  const style = document.createElement("style");
  style.textContent = `
    .wb-time { font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer;
               text-decoration: underline dotted; }
    .wb-time:hover, .wb-time:focus-visible { text-decoration: underline; }
    .wb-block.wb-playing { box-shadow: inset 4px 0 0 #ff7f0e; background: rgba(255, 127, 14, 0.10); }`;
  document.head.appendChild(style);

  const player = () => document.querySelector("audio, video");
  let playing = null;

  const blockAt = (seconds) => {
    // The last block that has started and not yet ended (one without an end lasts until a later one starts).
    let found = null;
    for (const block of document.querySelectorAll(".wb-block[data-start]")) {
      if (Number(block.dataset.start) > seconds) break;
      const end = "end" in block.dataset ? Number(block.dataset.end) : Infinity;
      if (seconds < end) found = block;
    }
    return found;
  };

  const keepInView = (block) => {
    const box = block.closest(".wb-doc");
    if (!box) return;
    const outer = box.getBoundingClientRect(), inner = block.getBoundingClientRect();
    if (inner.top < outer.top || inner.bottom > outer.bottom) box.scrollTop += inner.top - outer.top - 24;
  };

  const follow = (event) => {
    const media = event.target;
    if (!(media instanceof HTMLMediaElement)) return;
    const block = media.paused || media.ended ? null : blockAt(media.currentTime);
    if (block === playing) return;
    if (playing) playing.classList.remove("wb-playing");
    playing = block;
    if (block) {
      block.classList.add("wb-playing");
      keepInView(block);
    }
  };
  for (const type of ["play", "playing", "timeupdate", "seeked", "pause", "ended"]) {
    document.addEventListener(type, follow, true); // media events do not bubble: listen while capturing
  }

  document.addEventListener("click", (event) => {
    const label = event.target.closest && event.target.closest(".wb-time[data-start]");
    const media = label && player();
    if (!media) return;
    event.preventDefault();
    media.currentTime = Number(label.dataset.start);
    const started = media.play();
    if (started && started.catch) started.catch(() => {}); // the browser refused: the researcher presses play
  });
})();
