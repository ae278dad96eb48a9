// Adds the reader's own time to each meeting time on the page; the page reads the same without.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var lang = document.documentElement.lang || undefined;
  document.querySelectorAll(".meeting").forEach(function (meeting) {
    var time = meeting.querySelector("time[data-utc]");
    var yours = meeting.querySelector(".yours");
    if (!time || !yours) {
      return;
    }
    var start = new Date(time.getAttribute("data-utc"));
    yours.querySelector("span").textContent = start.toLocaleString(lang, {
      weekday: "short", day: "numeric", month: "short",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    yours.hidden = false;
  });
});
