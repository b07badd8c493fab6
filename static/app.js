// Upload progress for htmx file forms: the one behaviour htmx does not draw by itself.
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = event.target.querySelector("progress");
  if (bar && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  }
});

// The week view on a phone: bring today's column into view instead of Monday's.
function showToday(root) {
  var scroller = root.querySelector(".week-scroll");
  var today = scroller && scroller.querySelector("th.week-today");
  if (today && scroller.scrollWidth > scroller.clientWidth) {
    scroller.scrollLeft = Math.max(0, today.offsetLeft - scroller.querySelector("th").offsetWidth);
  }
}
document.addEventListener("DOMContentLoaded", function () { showToday(document); });
document.addEventListener("htmx:afterSettle", function (event) { showToday(event.target); });

// A recorded moment plays the recording on the page from that moment; without JavaScript the
// link's media fragment (#t=seconds) opens the recording there.
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-seek]");  // hx-boost="false": htmx leaves it to us
  var player = link && document.getElementById(link.dataset.player);
  if (player) {
    event.preventDefault();
    player.currentTime = Number(link.dataset.seek);
    player.play();
  }
});

// A form with several buttons where only one cannot be undone (publish beside "save the
// draft"): that button carries its question in data-confirm. htmx asks it before the boosted
// request goes, and sends confirmed=yes with the answer (app/confirm.py). Without JavaScript
// the server asks instead.
document.addEventListener("htmx:confirm", function (event) {
  var trigger = event.detail.triggeringEvent;
  var button = trigger && trigger.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (!question) {
    return;
  }
  event.preventDefault();
  if (window.confirm(question)) {
    var form = event.detail.elt;
    var field = form.querySelector("input[name=confirmed]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirmed";
      form.appendChild(field);
    }
    field.value = "yes";
    event.detail.issueRequest(true);
  }
});
