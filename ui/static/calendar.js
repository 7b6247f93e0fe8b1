/* The appointment calendar: drag a block to another time or doctor (snapped
   to the grid's step); the server moves and re-posts the Request, or refuses
   and the block snaps back with the reason. The red line follows the clock. */
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
      doctor_id: column.dataset.doctor, starts_at: cell.dataset.time, view: wrap.dataset.view,
      date: wrap.dataset.date, step: wrap.dataset.step, doctor_filter: wrap.dataset.doctorFilter || "",
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
      return;
    }
    // Refused: the block goes back where it was, and the reason is shown.
    back.parent.appendChild(block);
    block.style.top = back.top;
    block.removeAttribute("aria-busy");
    toast(response ? await response.text()
      : `<div class="alert error" role="alert">${window.erp ? window.erp.t("Нет связи с сервером", "No connection") : ""}</div>`);
  });

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
