// Drag and drop for the agenda builder (an enhancement: every move also works with the
// plain "Move" form). Drop a session on a 15-minute slot of a room column; the script posts
// the new start and room to the session's move URL with the CSRF token.
(function () {
  "use strict";
  var grid = document.getElementById("agenda-grid");
  if (!grid || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("agenda-status");
  var dragged = null;

  function showError(messages) {
    if (!status) { return; }
    status.textContent = "";
    var list = document.createElement("ul");
    (messages && messages.length ? messages : [grid.dataset.error]).forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    status.appendChild(list);
    status.hidden = false;
    status.scrollIntoView({ block: "nearest" });
  }

  grid.querySelectorAll(".ag-session").forEach(function (card) {
    card.addEventListener("dragstart", function (ev) {
      dragged = card;
      card.classList.add("dragging");
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", card.id);
      // Let the slots under every card receive the drop, including the slots of an occupied
      // time, so that a refused move says why (after dragstart: changing it now cancels it)
      window.setTimeout(function () {
        if (dragged === card) { grid.classList.add("is-dragging"); }
      }, 0);
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("dragging");
      grid.classList.remove("is-dragging");
      dragged = null;
    });
  });

  grid.querySelectorAll(".ag-slot").forEach(function (slot) {
    slot.addEventListener("dragover", function (ev) {
      if (!dragged) { return; }
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "move";
      slot.classList.add("drop-target");
    });
    slot.addEventListener("dragleave", function () { slot.classList.remove("drop-target"); });
    slot.addEventListener("drop", function (ev) {
      ev.preventDefault();
      slot.classList.remove("drop-target");
      if (!dragged) { return; }
      var body = new FormData();
      body.append("csrf_token", grid.dataset.csrf);
      body.append("starts_at", slot.dataset.start);
      body.append("room", slot.dataset.room || "");
      fetch(dragged.dataset.moveUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": grid.dataset.csrf }
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (result.ok && result.data.ok) {
          window.location.reload();
        } else {
          showError(result.data.messages);
        }
      }).catch(function () { showError([]); });
    });
  });
})();
