/* Conveniences of the catalog drafting form (progressive enhancement).
 *
 * Without this script the form still works: it shows the existing rows and five
 * blank ones, blank rows are ignored on save, and a row is removed by clearing it.
 * With it: add and remove rows, keep the row numbers, keep the resource code's
 * prefix in step with the classification, and offer only the systems of the
 * chosen provider department. No libraries; loaded from this node only.
 */
(function () {
  "use strict";

  var form = document.getElementById("entry-form");
  if (!form) {
    return;
  }
  document.documentElement.classList.add("js");

  var ROW_NAME = /^(items|resources)-(\d+)-/;

  function nextIndex(tbody) {
    var highest = -1;
    tbody.querySelectorAll("[name]").forEach(function (field) {
      var match = ROW_NAME.exec(field.name);
      if (match && Number(match[2]) > highest) {
        highest = Number(match[2]);
      }
    });
    return highest + 1;
  }

  function renumber(tbody) {
    Array.prototype.forEach.call(tbody.rows, function (row, position) {
      var cell = row.querySelector(".row-number");
      if (cell) {
        cell.textContent = String(position + 1);
      }
    });
  }

  function addRows(table, template, count) {
    var tbody = table.tBodies[0];
    var first = null;
    for (var n = 0; n < count; n += 1) {
      var html = template.innerHTML.replace(/__i__/g, String(nextIndex(tbody)));
      tbody.insertAdjacentHTML("beforeend", html);
      first = first || tbody.lastElementChild;
    }
    renumber(tbody);
    limitSystems();
    var field = first && first.querySelector("input, select");
    if (field) {
      field.focus();
    }
  }

  form.querySelectorAll("[data-add-row]").forEach(function (button) {
    var name = button.getAttribute("data-add-row");
    var table = document.getElementById(name + "-table");
    var template = document.getElementById(name + "-template");
    if (!table || !template) {
      return;
    }
    var count = Number(button.getAttribute("data-count") || "1");
    button.addEventListener("click", function () {
      addRows(table, template, count);
    });
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) {
      return;
    }
    var row = button.closest("tr");
    var tbody = row.parentNode;
    var neighbour = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber(tbody);
    var focusable = neighbour && neighbour.querySelector("input, select");
    if (focusable) {
      focusable.focus();
    }
  });

  // The resource code starts with the classification code: keep them in step.
  var base = form.querySelector("[name=classification_base]");
  var rest = form.querySelector("[name=classification_rest]");
  var code = form.querySelector("[name=resource_code]");
  function syncPrefix() {
    if (!base || !rest || !code || !base.value) {
      return;
    }
    var classification = base.value + rest.value.trim();
    var slash = code.value.indexOf("/");
    if (slash >= 0) {
      code.value = classification + code.value.slice(slash);
    } else if (!code.value) {
      code.placeholder = classification + "/000001";
    }
  }
  [base, rest].forEach(function (field) {
    if (field) {
      field.addEventListener("change", syncPrefix);
    }
  });

  // Offer only the systems of the chosen provider department.
  var department = form.querySelector("select[name=organisation_id]");
  function limitSystems() {
    if (!department) {
      return;
    }
    form.querySelectorAll("optgroup[data-org]").forEach(function (group) {
      var other = group.getAttribute("data-org") !== department.value;
      group.disabled = other;
      group.hidden = other;
      var select = group.parentNode;
      var chosen = select.options[select.selectedIndex];
      if (other && chosen && chosen.parentNode === group) {
        select.value = "";
      }
    });
  }
  if (department) {
    department.addEventListener("change", limitSystems);
    limitSystems();
  }
})();
