// Searchable type picker (小类): type a name or a code, pick from the list.
// The hidden input carries the code; a "change" event on it lets forms react (HTMX search).
(function () {
  "use strict";

  function kindInputs(box) {
    var selector = box.dataset.kindFrom;
    return selector ? Array.prototype.slice.call(document.querySelectorAll(selector)) : [];
  }

  function currentKind(box) {
    var inputs = kindInputs(box);
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "radio") { if (input.checked) return input.value; }
      else return input.value;
    }
    return "";
  }

  function fire(input) {
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function init(box) {
    var hidden = box.querySelector("input[type=hidden]");
    var text = box.querySelector(".picker-q");
    var list = box.querySelector(".picker-options");
    var timer = null;
    var seq = 0;

    function close() { list.hidden = true; text.setAttribute("aria-expanded", "false"); }

    function load() {
      var mine = ++seq;
      var url = box.dataset.url + "?kind=" + encodeURIComponent(currentKind(box)) +
        "&q=" + encodeURIComponent(text.value.trim());
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          if (mine !== seq) return;  // a newer search is under way
          list.innerHTML = html;
          list.hidden = false;
          text.setAttribute("aria-expanded", "true");
        })
        .catch(function () { /* keep the previous list */ });
    }

    function pick(button) {
      hidden.value = button.dataset.code;
      hidden.dataset.kind = button.dataset.kind;
      text.value = button.dataset.label;
      close();
      // A picked type fixes the kind when the form did not say it yet.
      kindInputs(box).forEach(function (input) {
        if (input.type === "radio") {
          if (input.value === button.dataset.kind && !input.checked) input.checked = true;
        } else if (!input.value) {
          input.value = button.dataset.kind;
        }
      });
      fire(hidden);
    }

    // Typing makes the previous choice void until a new one is picked.
    text.addEventListener("input", function () {
      if (hidden.value) { hidden.value = ""; fire(hidden); }
      clearTimeout(timer);
      timer = setTimeout(load, 250);
    });
    // Its own "change" must not trigger a search: only the hidden code counts.
    text.addEventListener("change", function (e) { e.stopPropagation(); });
    text.addEventListener("focus", function () { if (!hidden.value) load(); });
    text.addEventListener("keydown", function (e) {
      var first = list.querySelector(".picker-option");
      if (e.key === "Enter") {
        e.preventDefault();
        if (!list.hidden && first) pick(first);
      } else if (e.key === "ArrowDown" && first) {
        e.preventDefault();
        first.focus();
      } else if (e.key === "Escape") {
        close();
      }
    });
    list.addEventListener("keydown", function (e) {
      var current = document.activeElement.closest("li");
      if (!current) return;
      var next = null;
      if (e.key === "ArrowDown") next = current.nextElementSibling;
      else if (e.key === "ArrowUp") next = current.previousElementSibling;
      else if (e.key === "Escape") { close(); text.focus(); return; }
      if (next && next.querySelector(".picker-option")) {
        e.preventDefault();
        next.querySelector(".picker-option").focus();
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        text.focus();
      }
    });
    list.addEventListener("click", function (e) {
      var button = e.target.closest(".picker-option");
      if (button) pick(button);
    });
    document.addEventListener("click", function (e) {
      if (!box.contains(e.target)) close();
    });
    // Another kind makes a picked type of the old kind meaningless.
    kindInputs(box).forEach(function (input) {
      input.addEventListener("change", function () {
        var kind = currentKind(box);
        if (hidden.value && kind && hidden.dataset.kind && hidden.dataset.kind !== kind) {
          hidden.value = "";
          hidden.dataset.kind = "";
          text.value = "";
        }
      });
    });
  }

  document.querySelectorAll(".type-picker").forEach(init);
})();
