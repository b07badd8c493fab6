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
