// Console keyboard shortcuts (no build step): j/k move through the queue, Enter/o open, t take,
// r reply, n note, ? help. Keys typed into a field are left alone.
"use strict";
(function () {
  let selected = null; // the selected row's ticket number (or href), kept across htmx refreshes

  function rows() { return Array.from(document.querySelectorAll("tr.row")); }
  function keyOf(row) { return row.dataset.number || row.dataset.href; }

  function paint() {
    rows().forEach(function (row) { row.classList.toggle("selected", keyOf(row) === selected); });
  }

  function move(step) {
    const all = rows();
    if (!all.length) { return; }
    let index = all.findIndex(function (row) { return keyOf(row) === selected; });
    index = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    selected = keyOf(all[index]);
    paint();
    all[index].scrollIntoView({ block: "nearest" });
  }

  function current() { return rows().find(function (row) { return keyOf(row) === selected; }); }

  function focusComposer(id) {
    const field = document.getElementById(id);
    if (field) { field.scrollIntoView({ block: "center" }); field.focus(); return true; }
    return false;
  }

  function openSelected(hash) {
    const row = current();
    if (row && row.dataset.href) { window.location.href = row.dataset.href + (hash || ""); }
  }

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    const help = document.getElementById("shortcuts-help");
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o": case "Enter": openSelected(""); break;
      case "t": {
        const row = current();
        const form = row ? row.querySelector("form.take-form") : document.getElementById("take-form");
        if (form) { form.requestSubmit(); }
        break;
      }
      case "r": if (!focusComposer("reply-text")) { openSelected("#reply"); } break;
      case "n": if (!focusComposer("note-text")) { openSelected("#note"); } break;
      case "?": if (help) { if (help.open) { help.close(); } else { help.showModal(); } } break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", paint);
  document.addEventListener("DOMContentLoaded", function () {
    const hash = window.location.hash;
    if (hash === "#reply") { focusComposer("reply-text"); }
    if (hash === "#note") { focusComposer("note-text"); }
  });
})();
