// The theme board: code chips dragged onto theme boxes. Built with textContent only (names are untrusted).
// Triggers sent to Python: link {theme, code, nonce}, unlink {theme, code, nonce}.

function chip(label, codeId, extraClass) {
  const el = document.createElement("span");
  el.className = "wb-tb-chip" + (extraClass ? " " + extraClass : "");
  el.textContent = label;
  el.dataset.code = String(codeId);
  return el;
}

function render(root, data, send) {
  root.replaceChildren();
  const codes = document.createElement("div");
  codes.className = "wb-tb-codes";
  const filter = document.createElement("input");
  filter.type = "search";
  filter.placeholder = "Filter codes";
  filter.className = "wb-tb-filter";
  codes.appendChild(filter);
  const list = document.createElement("div");
  list.className = "wb-tb-list";
  for (const code of data.codes) {
    const el = chip(code.label, code.id);
    el.draggable = true;
    el.title = code.path;
    el.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData("text/plain", String(code.id));
      event.dataTransfer.effectAllowed = "copy";
    });
    list.appendChild(el);
  }
  filter.addEventListener("input", () => {
    const wanted = filter.value.toLowerCase();
    for (const el of list.children) el.hidden = !el.title.toLowerCase().includes(wanted);
  });
  codes.appendChild(list);
  const themes = document.createElement("div");
  themes.className = "wb-tb-themes";
  for (const theme of data.themes) {
    const box = document.createElement("div");
    box.className = "wb-tb-theme";
    box.dataset.theme = String(theme.id);
    box.style.marginLeft = `${(theme.depth - 1) * 1.2}rem`;
    const title = document.createElement("div");
    title.className = "wb-tb-title";
    title.textContent = `${theme.name} · ${theme.status}`;
    box.appendChild(title);
    for (const code of theme.codes) {
      const el = chip(code.label, code.id, "wb-tb-linked");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.title = "Remove this code from the theme";
      remove.addEventListener("click", () => send("unlink", theme.id, code.id));
      el.appendChild(remove);
      box.appendChild(el);
    }
    box.addEventListener("dragover", (event) => { event.preventDefault(); box.classList.add("wb-tb-over"); });
    box.addEventListener("dragleave", () => box.classList.remove("wb-tb-over"));
    box.addEventListener("drop", (event) => {
      event.preventDefault();
      box.classList.remove("wb-tb-over");
      const codeId = Number(event.dataTransfer.getData("text/plain"));
      if (codeId) send("link", theme.id, codeId);
    });
    themes.appendChild(box);
  }
  root.append(codes, themes);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let state = parentElement.__wbBoard;
  if (!state) {
    const root = document.createElement("div");
    root.className = "wb-tb";
    parentElement.appendChild(root);
    state = parentElement.__wbBoard = { root, version: null };
  }
  if (data && data.version !== state.version) {
    state.version = data.version;
    const send = (name, theme, code) => setTriggerValue(name, { theme, code, nonce: `${Date.now()}-${Math.random()}` });
    render(state.root, data, send);
  }
}
