// SQL console niceties. The form works without this file: it is a GET
// with ?q=, run and rendered on the server.
(function () {
  "use strict";
  var form = document.getElementById("sql-form");
  var editor = document.getElementById("sql-q");
  if (!form || !editor) return;
  document.querySelectorAll(".sql-js-only, .sql-insert").forEach(function (el) { el.hidden = false; });

  // Ctrl + Enter (Cmd + Enter on a Mac) runs the query.
  editor.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });

  // "+" buttons insert a table or column name at the cursor, quoted when
  // it is not a plain lower-case identifier.
  function ident(name) {
    return /^[a-z_][a-z0-9_]*$/.test(name) ? name : '"' + name.replace(/"/g, '""') + '"';
  }
  document.querySelectorAll(".sql-insert").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var text = ident(btn.getAttribute("data-insert"));
      var start = editor.selectionStart, end = editor.selectionEnd, v = editor.value;
      var before = v.slice(0, start), after = v.slice(end);
      if (before && !/[\s(,.]$/.test(before)) text = " " + text;
      if (after && !/^[\s),.]/.test(after)) text += " ";
      editor.value = before + text + after;
      var pos = before.length + text.length;
      editor.focus();
      editor.setSelectionRange(pos, pos);
    });
  });

  // After a run, move focus to the error or the results so screen reader
  // and keyboard users land on the answer.
  var target = document.getElementById("sql-error") || document.getElementById("sql-results-title");
  if (target && new URLSearchParams(window.location.search).get("q")) target.focus();
})();
