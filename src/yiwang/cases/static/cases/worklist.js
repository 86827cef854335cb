// 工作台: live countdowns to each case's due time, refreshed every 30 s and after HTMX swaps.
(function () {
  "use strict";

  function amount(minutes) {
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days) return hours ? days + "天" + hours + "小时" : days + "天";
    if (hours) return mins ? hours + "小时" + mins + "分" : hours + "小时";
    return mins + "分";
  }

  // Same wording as the server renders ("剩余 3小时12分" / "已超期 2小时").
  function remainingText(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    return seconds < 0 ? "已超期 " + amount(minutes) : "剩余 " + amount(minutes);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due);
      if (isNaN(due)) return;
      var seconds = (due - now) / 1000;
      el.textContent = remainingText(seconds);
      el.classList.toggle("overdue", seconds < 0);
    });
  }

  window.setInterval(tick, 30000);
  document.addEventListener("htmx:afterSwap", tick);
  tick();
})();
