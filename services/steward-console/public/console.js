/* global document */
// Browser-side helpers for the console (plain script, no build step): "select all" on lists.
'use strict';
document.querySelectorAll('input.select-all').forEach(function (box) {
  box.addEventListener('change', function () {
    var form = box.closest('form');
    if (!form) return;
    form.querySelectorAll('input[name="ids"]:not(:disabled)').forEach(function (cb) {
      cb.checked = box.checked;
    });
  });
});
