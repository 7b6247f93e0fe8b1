/* The appointment calendar: drag a block to another time or doctor (snapped
   to the grid's step); the server moves and re-posts the Request, or refuses
   and the block snaps back with the reason. The red line follows the clock.
   A range of free cells in one column (drag over them, shift-click, or
   Shift+arrows) is the new Request's time: «Записать» opens the form with
   its start and length; a range never crosses busy or non-working time. */
(function () {
  "use strict";
  let dragged = null, offsetRows = 0, origin = null;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["x-csrftoken"]; } catch (e) { return ""; }
  }
  function toast(html) {
    const box = document.getElementById("toast");
    box.innerHTML = html;
    clearTimeout(box._timer);
    box._timer = setTimeout(() => { box.innerHTML = ""; }, 8000);
  }
  function cellAt(column, clientY) {
    const wrap = column.closest("[data-calendar]");
    const row = Number(wrap.dataset.row);
    const cells = column.querySelectorAll(".cell");
    const index = Math.floor((clientY - column.getBoundingClientRect().top) / row) - offsetRows;
    return cells[Math.max(0, Math.min(cells.length - 1, index))];
  }

  document.addEventListener("dragstart", (e) => {
    const block = e.target.closest && e.target.closest(".appointment");
    if (!block || block.getAttribute("draggable") !== "true") return;  // a group slot moves place by place
    const row = Number(block.closest("[data-calendar]").dataset.row);
    dragged = block;
    offsetRows = Math.max(0, Math.floor((e.clientY - block.getBoundingClientRect().top) / row));
    origin = { parent: block.parentElement, top: block.style.top };
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", block.dataset.id);
    setTimeout(() => block.classList.add("dragging"), 0);
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
  });
  document.addEventListener("dragover", (e) => {
    const column = dragged && e.target.closest && e.target.closest("[data-calendar] .column");
    if (!column) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
    const cell = cellAt(column, e.clientY);
    if (cell) cell.classList.add("drop-target");
  });
  document.addEventListener("drop", async (e) => {
    const column = dragged && e.target.closest && e.target.closest("[data-calendar] .column");
    if (!column) return;
    e.preventDefault();
    const block = dragged, back = origin, wrap = column.closest("[data-calendar]");
    dragged = null;
    const cell = cellAt(column, e.clientY);
    if (!cell) return;
    const cells = [...column.querySelectorAll(".cell")];
    block.classList.remove("dragging");
    block.style.top = cells.indexOf(cell) * Number(wrap.dataset.row) + "px";
    column.appendChild(block);
    const body = new URLSearchParams({
      [column.dataset.field || "doctor_id"]: column.dataset.owner, starts_at: cell.dataset.time,
      view: wrap.dataset.view, date: wrap.dataset.date, step: wrap.dataset.step,
      doctor_filter: wrap.dataset.doctorFilter || "", resource: wrap.dataset.resource || "",
    });
    block.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch(`/schedule/requests/${block.dataset.id}/move`, {
        method: "POST", body, headers: { "HX-Request": "true", "x-csrftoken": csrf() },
      });
    } catch (err) {
      response = null;
    }
    if (response && response.ok) {
      const target = document.getElementById("calendar");
      target.innerHTML = await response.text();
      if (window.erp) window.erp.applyStyles(target);
      if (window.htmx) window.htmx.process(target);
      clearSelection();
      return;
    }
    // Refused: the block goes back where it was, and the reason is shown.
    back.parent.appendChild(block);
    block.style.top = back.top;
    block.removeAttribute("aria-busy");
    toast(response ? await response.text()
      : `<div class="alert error" role="alert">${window.erp ? window.erp.t("Нет связи с сервером", "No connection") : ""}</div>`);
  });

  /* ---------- a range of free cells: the new Request's start and length ---------- */
  const say = (ru, en) => (window.erp ? window.erp.t(ru, en) : ru);
  let range = null;  // {column, anchor, end}: indices into the column's cells
  let pressed = null, suppressClick = false;

  function cellsOf(column) { return [...column.querySelectorAll(":scope > .cell")]; }
  function blockedByBlock(column, index) {
    // A posted appointment over part of the cell (it starts inside it) makes the cell busy for a range.
    const row = Number(column.closest("[data-calendar]").dataset.row), top = index * row, bottom = top + row;
    return [...column.querySelectorAll(":scope > .appointment:not(.draft)")].some((b) => {
      const from = Number(b.dataset.top), to = from + Number(b.dataset.height);
      return from < bottom - 1 && to > top + 1;
    });
  }
  function free(column, index) {
    const cell = cellsOf(column)[index];
    return !!cell && cell.matches("a.cell.work") && !blockedByBlock(column, index);
  }
  function message(text, error) {
    const box = document.querySelector("[data-selection]");
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("error", !!error);
  }
  function plusMinutes(moment, minutes) {
    const [d, t] = moment.split("T"), [y, m, day] = d.split("-").map(Number), [h, mi] = t.split(":").map(Number);
    const end = new Date(Date.UTC(y, m - 1, day, h, mi) + minutes * 60000);
    return String(end.getUTCHours()).padStart(2, "0") + ":" + String(end.getUTCMinutes()).padStart(2, "0");
  }
  function bookButton() { return document.querySelector("[data-book]"); }
  function clearSelection() {
    range = null;
    document.querySelectorAll("[data-calendar] .cell.selected").forEach((c) => c.classList.remove("selected"));
    const book = bookButton();
    if (book && book.dataset.plain !== undefined) book.href = book.dataset.plain;
    message("");
  }
  function refuse(column, index) {
    const cell = cellsOf(column)[index];
    if (cell) {
      cell.classList.add("refused");
      setTimeout(() => cell.classList.remove("refused"), 1500);
    }
    message(say("Выделение не может проходить через занятое или нерабочее время: выберите свободные клетки подряд.",
      "A selection cannot cross busy or non-working time: choose consecutive free cells."), true);
  }
  /* The range from the anchor towards ``index``; refused (null) if a cell between is not free. */
  function reach(column, anchor, index) {
    const stepping = index >= anchor ? 1 : -1;
    for (let i = anchor; i !== index + stepping; i += stepping) {
      if (!free(column, i)) return null;
    }
    return { column, anchor, end: index };
  }
  function show(next) {
    document.querySelectorAll("[data-calendar] .cell.selected").forEach((c) => c.classList.remove("selected"));
    range = next;
    const cells = cellsOf(next.column), first = Math.min(next.anchor, next.end), last = Math.max(next.anchor, next.end);
    for (let i = first; i <= last; i++) cells[i].classList.add("selected");
    const wrap = next.column.closest("[data-calendar]"), step = Number(wrap.dataset.step);
    const start = cells[first].dataset.time, minutes = (last - first + 1) * step;
    const field = next.column.dataset.field || "doctor_id";
    const params = new URLSearchParams({ [field]: next.column.dataset.owner, starts_at: start,
      duration_minutes: String(minutes) });
    const book = bookButton();
    if (book) {
      if (book.dataset.plain === undefined) book.dataset.plain = book.getAttribute("href");
      book.href = "/documents/requests/new?" + params.toString();
    }
    const who = next.column.getAttribute("aria-label") || "";
    message(say("Выбрано", "Selected") + `: ${who} ${start.slice(11)}–${plusMinutes(start, minutes)} (${minutes} `
      + say("мин", "min") + "). " + say("Нажмите «Записать».", "Press «Save» to book."));
  }
  function located(target) {
    const cell = target.closest && target.closest("[data-calendar] .column > .cell");
    if (!cell) return null;
    const column = cell.parentElement;
    return { column, index: cellsOf(column).indexOf(cell), cell };
  }

  document.addEventListener("mousedown", (e) => {
    const at = e.button === 0 && located(e.target);
    suppressClick = false;
    if (!at || !at.cell.matches("a.cell.work") || e.shiftKey) return;
    e.preventDefault();  // no native link drag, no text selection: the mouse draws the range
    pressed = { column: at.column, anchor: at.index, moved: false };
  });
  document.addEventListener("mouseover", (e) => {
    if (!pressed || !(e.buttons & 1)) return;
    const at = located(e.target);
    if (!at || at.column !== pressed.column || at.index === pressed.anchor && !pressed.moved) return;
    pressed.moved = true;
    if (!free(pressed.column, pressed.anchor)) { refuse(pressed.column, pressed.anchor); return; }
    const stepping = at.index >= pressed.anchor ? 1 : -1;
    let reached = pressed.anchor;  // the range stops before the first cell that is not free
    for (let i = pressed.anchor; i !== at.index + stepping; i += stepping) {
      if (!free(pressed.column, i)) break;
      reached = i;
    }
    show({ column: pressed.column, anchor: pressed.anchor, end: reached });
    if (reached !== at.index) refuse(pressed.column, reached + stepping);
  });
  document.addEventListener("mouseup", () => {
    if (pressed && pressed.moved) {
      suppressClick = true;  // the click that follows ends the range and opens nothing
      setTimeout(() => { suppressClick = false; }, 0);
    }
    pressed = null;
  });
  document.addEventListener("click", (e) => {
    const at = located(e.target);
    if (!at || !at.cell.matches("a.cell.work")) return;
    if (suppressClick) {  // the end of a drawn range, not a click on one cell
      suppressClick = false;
      e.preventDefault();
      return;
    }
    if (!e.shiftKey) return;  // a plain click books that one cell, as before
    e.preventDefault();
    if (!free(at.column, at.index)) { refuse(at.column, at.index); return; }
    if (!range || range.column !== at.column) { show({ column: at.column, anchor: at.index, end: at.index }); return; }
    const next = reach(at.column, range.anchor, at.index);
    if (next) show(next); else refuse(at.column, at.index);
  });
  document.addEventListener("keydown", (e) => {
    const at = located(e.target);
    if (e.key === "Escape" && range) { clearSelection(); return; }
    if (!at) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      // ↑/↓ walk the free cells; with Shift the range's end moves by one cell (a range starts at the focused one)
      const stepping = e.key === "ArrowDown" ? 1 : -1, cells = cellsOf(at.column);
      const mine = e.shiftKey && range && range.column === at.column;
      const target = (mine ? range.end : at.index) + stepping;
      if (!cells[target]) return;
      e.preventDefault();
      if (e.shiftKey) {
        const next = reach(at.column, mine ? range.anchor : at.index, target);
        if (!next) { refuse(at.column, target); return; }
        show(next);
      }
      if (cells[target].matches("a.cell")) cells[target].focus();
    } else if (e.key === "Enter" && range && range.column === at.column) {
      const first = Math.min(range.anchor, range.end), last = Math.max(range.anchor, range.end);
      if (at.index < first || at.index > last) return;
      e.preventDefault();
      window.location.assign(bookButton().href);
    }
  });
  document.addEventListener("htmx:afterSwap", clearSelection);

  function moveNowLines() {
    document.querySelectorAll("[data-now-line]").forEach((line) => {
      const wrap = line.closest("[data-calendar]");
      if (!line.dataset.since) line.dataset.since = String(Date.now());
      const minutes = (Date.now() - Number(line.dataset.since)) / 60000;
      line.style.top = Number(line.dataset.top) + (minutes / Number(wrap.dataset.step)) * Number(wrap.dataset.row) + "px";
    });
  }
  setInterval(moveNowLines, 30000);
  document.addEventListener("htmx:afterSwap", moveNowLines);
  document.addEventListener("DOMContentLoaded", () => {
    const line = document.querySelector("[data-now-line]");
    if (line) line.scrollIntoView({ block: "center" });
  });
})();
