// The live event log: records appended after the page was rendered arrive by server-sent events
// and are put at the top of the table, without a reload. Text only: nothing is parsed as HTML.
"use strict";
(function () {
  const live = document.getElementById("live");
  const table = document.getElementById("log");
  if (!live || !table || !window.EventSource) { return; }
  const body = table.tBodies[0];
  const base = live.dataset.stream;
  const after = live.dataset.after || "0";
  const KEEP = 500; // rows kept on the page; older ones remain a filter or a reload away

  function cell(text, href) {
    const td = document.createElement("td");
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    return td;
  }

  function add(r) {
    const tr = document.createElement("tr");
    tr.dataset.seq = r.seq;
    tr.className = "fresh";
    tr.appendChild(cell(String(r.seq), "/console/events/" + encodeURIComponent(r.event_id)));
    tr.appendChild(cell(r.occurred_at));
    tr.appendChild(cell(r.type));
    tr.appendChild(cell(r.producer));
    tr.appendChild(cell(r.organisation));
    tr.appendChild(cell(r.client_id, "/console/clients/" + encodeURIComponent(r.client_id)));
    const code = document.createElement("code");
    code.textContent = r.hash;
    const td = document.createElement("td");
    td.appendChild(code);
    tr.appendChild(td);
    body.insertBefore(tr, body.firstChild);
    while (body.rows.length > KEEP) { body.deleteRow(body.rows.length - 1); }
  }

  const source = new EventSource(base + (base.endsWith("?") ? "" : "&") + "after=" + encodeURIComponent(after));
  source.addEventListener("record", function (e) { add(JSON.parse(e.data)); });
  source.addEventListener("logout", function () { source.close(); window.location.assign("/console/login"); });
  source.onopen = function () { live.classList.remove("down"); live.textContent = "Live: new records appear at the top."; };
  source.onerror = function () { live.classList.add("down"); live.textContent = "Live updates interrupted; reconnecting…"; };
})();
