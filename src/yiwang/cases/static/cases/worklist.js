// 工作台: live countdowns to each case's due time, refreshed every 30 s and after HTMX swaps.
(function () {
  "use strict";

  // Same wording as the server renders ("剩余 3小时12分" / "已超期 2小时"): the page carries
  // the formats in the active language (views.worklists.countdown_formats).
  var FALLBACK = {
    dh: "%(days)s天%(hours)s小时", d: "%(days)s天", hm: "%(hours)s小时%(mins)s分",
    h: "%(hours)s小时", m: "%(mins)s分", left: "剩余 %(amount)s", overdue: "已超期 %(amount)s"
  };

  function formats() {
    var el = document.getElementById("countdown-formats");
    try {
      return el ? JSON.parse(el.textContent) : FALLBACK;
    } catch (e) {
      return FALLBACK;
    }
  }

  function fill(format, values) {
    return format.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  }

  function amount(words, minutes) {
    var n = { days: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60), mins: minutes % 60 };
    if (n.days) return fill(n.hours ? words.dh : words.d, n);
    if (n.hours) return fill(n.mins ? words.hm : words.h, n);
    return fill(words.m, n);
  }

  function remainingText(words, seconds) {
    var text = amount(words, Math.floor(Math.abs(seconds) / 60));
    return fill(seconds < 0 ? words.overdue : words.left, { amount: text });
  }

  function tick() {
    var now = Date.now();
    var words = formats();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due);
      if (isNaN(due)) return;
      var seconds = (due - now) / 1000;
      el.textContent = remainingText(words, seconds);
      el.classList.toggle("overdue", seconds < 0);
    });
  }

  window.setInterval(tick, 30000);
  document.addEventListener("htmx:afterSwap", tick);
  tick();
})();
