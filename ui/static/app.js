/* ERP для клиник: the little JavaScript the forms need.
   Reference pickers, tabular sections (add/copy/remove rows, live totals in
   exact decimal arithmetic), the unsaved-changes guard, and keyboard habits
   of 1C users: Enter moves to the next field, Ctrl+Enter posts and closes,
   arrows and Enter walk and open list rows. Everything works without it,
   except choosing references by typing. */
(function () {
  "use strict";
  const lang = () => document.body.dataset.lang || "ru";
  const t = (ru, en) => (lang() === "en" ? en : ru);

  /* ---------- exact decimals: BigInt scaled integers ---------- */
  function parseScaled(text, scale) {
    if (text === undefined || text === null) return null;
    let s = String(text).replace(/[\s\u00a0\u202f]/g, "");
    s = s.includes(",") && s.includes(".") ? s.replaceAll(",", "") : s.replace(",", "."); // 1,500.00 or 1 500,00
    if (s === "") return null;
    if (!/^-?\d*(\.\d*)?$/.test(s) || s === "-" || s === ".") return null;
    const neg = s.startsWith("-");
    if (neg) s = s.slice(1);
    let [whole, frac = ""] = s.split(".");
    whole = whole || "0";
    let extra = frac.slice(scale);
    frac = frac.slice(0, scale).padEnd(scale, "0");
    let v = BigInt(whole + frac);
    if (extra && Number(extra[0]) >= 5) v += 1n;
    return neg ? -v : v;
  }
  function divRound(value, divisor) { // half up, for non-negative values
    const q = value / divisor, r = value % divisor;
    return r * 2n >= divisor ? q + 1n : q;
  }
  function fmtScaled(v, scale, minFrac) {
    const n = Number(v) / 10 ** scale;
    return new Intl.NumberFormat(lang() === "en" ? "en-US" : "ru-RU",
      { minimumFractionDigits: minFrac, maximumFractionDigits: scale }).format(n);
  }
  // «1 500,00»: what the server shows in a money field (plain spaces, a decimal comma)
  function moneyText(v) { return fmtScaled(v, 2, 2).replace(/[\u00a0\u202f]/g, " "); }
  function plainScaled(v, scale) {
    const neg = v < 0n; let s = (neg ? -v : v).toString().padStart(scale + 1, "0");
    let out = s.slice(0, s.length - scale) + (scale ? "." + s.slice(s.length - scale) : "");
    out = out.replace(/\.?0+$/, (m) => (m.startsWith(".") ? "" : m));
    return (neg ? "-" : "") + out;
  }

  /* ---------- tabular sections ---------- */
  function lineValue(row, col, scale) {
    const el = row.querySelector(`[data-col="${col}"]`);
    return el && "value" in el && el.tagName !== "OUTPUT" ? parseScaled(el.value, scale) : null;
  }
  function recomputeRow(row, changed) {
    const amountOut = row.querySelector('output[data-col="amount"]');
    if (!amountOut) return;
    const qty = lineValue(row, "quantity", 3), price = lineValue(row, "price", 2);
    if (qty === null || price === null) { amountOut.textContent = ""; amountOut.dataset.value = "0"; return; }
    const gross = divRound(qty * price, 1000n); // kopecks
    const pctEl = row.querySelector('[data-col="discount_percent"]');
    const discEl = row.querySelector('[data-col="discount_amount"]');
    let discount = 0n;
    const pct = pctEl ? parseScaled(pctEl.value, 4) : null;
    const given = discEl ? parseScaled(discEl.value, 2) : null;
    if (discEl && changed === discEl) {
      discount = given || 0n;
      if (pctEl) pctEl.value = gross > 0n && given !== null ? plainScaled(divRound(discount * 1000000n, gross), 4) : "";
    } else if (changed && pct !== null) {
      // the percent, the quantity or the price changed: the discount follows the percent
      discount = divRound(gross * pct, 1000000n);
      if (discEl) discEl.value = plainScaled(discount, 2);
    } else if (changed && pctEl && changed === pctEl) {
      if (discEl) discEl.value = "";
    } else {
      discount = given !== null ? given : pct !== null ? divRound(gross * pct, 1000000n) : 0n;
    }
    const amount = gross - discount;
    amountOut.textContent = fmtScaled(amount, 2, 2);
    amountOut.dataset.value = amount.toString();
  }
  function recomputeTotals(form) {
    const out = form.querySelector("output[data-total]");
    if (!out) return;
    let total = 0n;
    form.querySelectorAll('tr[data-line] output[data-col="amount"]').forEach((o) => {
      total += BigInt(o.dataset.value || "0");
    });
    out.textContent = fmtScaled(total, 2, 2);
  }
  function renumber(table) {
    table.querySelectorAll("tbody tr[data-line]").forEach((row, i) => {
      const cell = row.querySelector("[data-line-no]");
      if (cell) cell.textContent = String(i + 1);
    });
  }
  // A form may hold several tables (a catalog item's tabular parts): each in its [data-lines-scope],
  // its inputs named "<prefix>-<row>-<field>" where the prefix is the table's data-lines ("lines").
  function prefixOf(table) { return table.dataset.lines || "lines"; }
  function nextIndex(table) {
    let max = -1;
    const prefix = prefixOf(table);
    table.querySelectorAll(`[name^='${prefix}-']`).forEach((el) => {
      const m = new RegExp(`^${prefix}-(\\d+)-`).exec(el.name);
      if (m) max = Math.max(max, Number(m[1]));
    });
    return max + 1;
  }
  function addRow(form, source, scope) {
    scope = scope || form;
    const table = scope.querySelector("table[data-lines]");
    const template = scope.querySelector("template[data-line-template]");
    if (!table || !template) return null;
    const index = nextIndex(table);
    const prefix = prefixOf(table);
    const holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replaceAll("__i__", String(index));
    const row = holder.querySelector("tr");
    if (source) {
      source.querySelectorAll("input, select, textarea").forEach((el) => {
        const m = new RegExp(`^${prefix}-\\d+-(.+)$`).exec(el.name || "");
        const target = m ? row.querySelector(`[name="${prefix}-${index}-${m[1]}"]`) : null;
        if (target) target.value = el.value;
        if (el.hasAttribute("data-picker-text")) {
          const twin = row.querySelectorAll("[data-picker-text]")[[...source.querySelectorAll("[data-picker-text]")].indexOf(el)];
          if (twin) twin.value = el.value;
        }
      });
      source.after(row);
    } else {
      table.querySelector("tbody").appendChild(row);
    }
    renumber(table);
    showColumns(form, row);
    recomputeRow(row);
    recomputeTotals(form);
    markDirty(form);
    return row;
  }

  // Columns shown with some values of a header field (data-shown-field, data-shown-values): the section
  // of «Ввод начальных остатков» shows its own columns; a new row follows the field as it is now.
  function showColumns(form, root) {
    (root || form).querySelectorAll("[data-shown-field]").forEach((el) => {
      const source = form.querySelector(`[name="${el.dataset.shownField}"]`);
      if (source) el.hidden = !el.dataset.shownValues.split(" ").includes(source.value);
    });
  }
  document.addEventListener("change", (e) => {
    const form = e.target.form;
    if (form && e.target.name && form.querySelector(`[data-shown-field="${e.target.name}"]`)) showColumns(form);
  });

  document.addEventListener("click", (e) => {
    const form = e.target.closest("form");
    if (e.target.closest("[data-add-line]")) {
      e.preventDefault();
      const row = addRow(form, null, e.target.closest("[data-lines-scope]"));
      const first = row && row.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    } else if (e.target.closest("[data-copy-line]")) {
      e.preventDefault();
      const source = e.target.closest("tr");
      addRow(form, source, source.closest("[data-lines-scope]"));
    } else if (e.target.closest("[data-remove-line]")) {
      e.preventDefault();
      const row = e.target.closest("tr"), table = row.closest("table");
      row.remove();
      renumber(table);
      recomputeTotals(form);
      markDirty(form);
    }
  });

  document.addEventListener("input", (e) => {
    const row = e.target.closest("tr[data-line]");
    if (row) { recomputeRow(row, e.target); recomputeTotals(row.closest("form")); }
    const form = guardOf(e.target);
    if (form) markDirty(form);
  });

  /* ---------- unsaved changes ---------- */
  function markDirty(form) { if (form && form.matches("[data-dirty-guard]")) form.dataset.dirty = "1"; }
  // An input may belong to another form than the one around it (form="send-form"): that one counts.
  function guardOf(el) { return (el.form || el).closest ? (el.form || el).closest("form[data-dirty-guard]") : null; }
  document.addEventListener("change", (e) => markDirty(guardOf(e.target)));
  document.addEventListener("submit", (e) => { if (e.target.dataset) delete e.target.dataset.dirty; });
  window.addEventListener("beforeunload", (e) => {
    if (document.querySelector("form[data-dirty-guard][data-dirty]")) {
      e.preventDefault();
      e.returnValue = t("Есть несохранённые изменения. Уйти со страницы?", "There are unsaved changes. Leave the page?");
      return e.returnValue;
    }
  });

  /* ---------- reference pickers ---------- */
  const timers = new WeakMap();
  function pickerOf(el) { return el.closest("[data-picker]"); }
  function options(picker) { return [...picker.querySelectorAll('[role=option][data-id]')]; }
  function closePicker(picker) {
    picker.querySelector(".picker-results").innerHTML = "";
    picker.querySelector("[data-picker-text]").setAttribute("aria-expanded", "false");
  }
  async function searchPicker(picker) {
    const text = picker.querySelector("[data-picker-text]");
    const params = new URLSearchParams({ q: text.value });
    // A picker narrowed by other fields of its form (the invoices of the chosen client)
    if (picker.dataset.field) {
      params.set("field", picker.dataset.field);
      const form = picker.closest("form");
      (text.dataset.filters || "").split(",").filter(Boolean).forEach((name) => {
        const source = form && form.querySelector(`[name="${name}"]`);
        if (source && source.value) params.set(name, source.value);
      });
    }
    const url = `/lookup/${encodeURIComponent(picker.dataset.target)}?${params}`;
    const response = await fetch(url, { headers: { "HX-Request": "true" } });
    if (!response.ok) return;
    const box = picker.querySelector(".picker-results");
    box.innerHTML = await response.text();
    text.setAttribute("aria-expanded", options(picker).length ? "true" : "false");
  }
  function choose(picker, option) {
    const value = picker.querySelector("[data-picker-value]");
    const text = picker.querySelector("[data-picker-text]");
    value.value = option ? option.dataset.id : "";
    text.value = option ? option.dataset.text : "";
    text.dataset.chosen = text.value;
    const row = picker.closest("tr[data-line]");
    const price = row && row.querySelector('input[data-col="price"]');
    const quantity = row && row.querySelector('input[data-col="quantity"]');
    if (option && quantity && quantity.value.trim() === "") quantity.value = "1";  // one, until told otherwise
    if (option && price && price.value.trim() === "" && option.dataset.price) {
      // as 1C does: the item's price comes with it, written as money is written here
      price.value = moneyText(parseScaled(option.dataset.price, 2));
    }
    if (option && row && (quantity || price)) {
      recomputeRow(row, price || quantity);
      recomputeTotals(row.closest("form"));
    }
    closePicker(picker);
    value.dispatchEvent(new Event("change", { bubbles: true }));
    markDirty(picker.closest("form"));
  }
  document.addEventListener("input", (e) => {
    if (!e.target.matches("[data-picker-text]")) return;
    const picker = pickerOf(e.target);
    clearTimeout(timers.get(picker));
    timers.set(picker, setTimeout(() => searchPicker(picker), 200));
  });
  document.addEventListener("focusin", (e) => {
    if (e.target.matches("[data-picker-text]") && !("chosen" in e.target.dataset)) e.target.dataset.chosen = e.target.value;
  });
  document.addEventListener("focusout", (e) => {
    if (!e.target.matches("[data-picker-text]")) return;
    const picker = pickerOf(e.target);
    setTimeout(() => {
      if (picker.contains(document.activeElement)) return;
      const text = picker.querySelector("[data-picker-text]");
      if (text.value.trim() === "") { if (picker.querySelector("[data-picker-value]").value) choose(picker, null); }
      else if (text.value !== text.dataset.chosen) text.value = text.dataset.chosen || "";
      closePicker(picker);
    }, 150);
  });
  document.addEventListener("mousedown", (e) => {
    const option = e.target.closest("[data-picker] [role=option][data-id]");
    if (option) { e.preventDefault(); choose(pickerOf(option), option); }
  });

  /* ---------- keyboard ---------- */
  function focusables(form) {
    return [...form.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
      .filter((el) => !el.disabled && el.offsetParent !== null && !el.closest("template"));
  }
  // Enter moves on as Tab does: a text field reached is selected, so typing replaces what it holds
  // (e.g. the price an item brought with it).
  function moveTo(el) {
    el.focus();
    if (el.matches("input[type=text], input[type=search], input:not([type])")) el.select();
  }
  document.addEventListener("keydown", (e) => {
    const el = e.target;
    const picker = el.matches && el.matches("[data-picker-text]") ? pickerOf(el) : null;
    if (picker && ["ArrowDown", "ArrowUp", "Enter", "Escape"].includes(e.key) && options(picker).length) {
      const list = options(picker);
      let i = list.findIndex((o) => o.getAttribute("aria-selected") === "true");
      if (e.key === "Escape") { closePicker(picker); e.preventDefault(); return; }
      if (e.key === "Enter") { e.preventDefault(); choose(picker, list[Math.max(i, 0)]); return; }
      i = e.key === "ArrowDown" ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0);
      list.forEach((o, j) => o.setAttribute("aria-selected", j === i ? "true" : "false"));
      el.setAttribute("aria-activedescendant", list[i].id);
      e.preventDefault();
      return;
    }
    if (picker && e.key === "ArrowDown") { searchPicker(picker); e.preventDefault(); return; }
    const form = el.closest && el.closest("form[data-document-form], form[data-dirty-guard]");
    if (form && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      const button = form.querySelector("[data-shortcut='ctrl+enter']") || form.querySelector("button.default");
      if (button) { e.preventDefault(); button.click(); }
      return;
    }
    if (form && e.key === "Enter" && el.matches("input:not([type=submit]):not([type=button]), select")) {
      e.preventDefault();
      const all = focusables(form).filter((x) => !x.matches("button"));
      const i = all.indexOf(el);
      const row = el.closest("tr[data-line]");
      const rowInputs = row ? focusables(row).filter((x) => !x.matches("button")) : [];
      if (row && rowInputs[rowInputs.length - 1] === el && !row.nextElementSibling) {
        const added = addRow(form);
        const first = added && focusables(added)[0];
        if (first) moveTo(first);
      } else if (i >= 0 && i < all.length - 1) {
        moveTo(all[i + 1]);
      }
      return;
    }
    const listRow = el.closest && el.closest("table[data-list] tbody tr[data-href]");
    if (listRow && el === listRow) {
      if (e.key === "Enter") { e.preventDefault(); window.location.href = listRow.dataset.href; }
      else if (e.key === "ArrowDown" && listRow.nextElementSibling) { e.preventDefault(); listRow.nextElementSibling.focus(); }
      else if (e.key === "ArrowUp" && listRow.previousElementSibling) { e.preventDefault(); listRow.previousElementSibling.focus(); }
    }
  });
  function initLists(root) {
    root.querySelectorAll("table[data-list] tbody tr[data-href]").forEach((row) => { row.tabIndex = 0; });
  }
  document.addEventListener("dblclick", (e) => {
    const row = e.target.closest("table[data-list] tbody tr[data-href]");
    if (row && !e.target.closest("a, input, button")) window.location.href = row.dataset.href;
  });
  document.addEventListener("change", (e) => {
    if (!e.target.matches("[data-select-all]")) return;
    document.querySelectorAll('input[type=checkbox][name="doc"]').forEach((box) => { box.checked = e.target.checked; });
  });

  /* ---------- positions and colours computed on the server ----------
     The Content-Security-Policy allows no style attributes, so the server
     sends them as data attributes and they are set here, through the CSSOM. */
  const STYLED = "[data-top], [data-height], [data-color], [data-fg]";
  const COLOUR = /^#[0-9a-fA-F]{6}$/;
  function applyStyles(root) {
    const found = [...root.querySelectorAll(STYLED)];
    if (root.matches && root.matches(STYLED)) found.push(root);
    found.forEach((el) => {
      const d = el.dataset;
      if (d.top !== undefined) el.style.top = `${Number(d.top)}px`;
      if (d.height !== undefined) el.style.height = `${Number(d.height)}px`;
      if (COLOUR.test(d.color || "")) el.style.backgroundColor = d.color;
      if (COLOUR.test(d.fg || "")) el.style.color = d.fg;
    });
  }
  document.addEventListener("change", (e) => {
    if (e.target.matches("[data-autosubmit]") && e.target.form) e.target.form.requestSubmit();
  });

  /* ---------- print templates: the variable picker inserts at the cursor ---------- */
  document.addEventListener("click", (e) => {
    const button = e.target.closest("[data-insert]");
    if (!button) return;
    const area = document.getElementById(button.dataset.target || "template-body");
    if (!area) return;
    e.preventDefault();
    const text = button.dataset.insert;
    const start = area.selectionStart ?? area.value.length, end = area.selectionEnd ?? start;
    area.setRangeText(text, start, end, "end");
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });

  function init(root) {
    applyStyles(root);
    initLists(root);
    root.querySelectorAll("form[data-document-form] tr[data-line]").forEach((row) => recomputeRow(row));
    root.querySelectorAll("form[data-document-form]").forEach(recomputeTotals);
  }
  document.addEventListener("DOMContentLoaded", () => init(document));
  document.addEventListener("htmx:afterSwap", (e) => init(e.target));
  document.addEventListener("htmx:load", (e) => applyStyles(e.detail.elt || e.target));
  window.erp = { parseScaled, divRound, plainScaled, t, applyStyles };
})();
