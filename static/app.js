// Upload progress for htmx file forms: the one behaviour htmx does not draw by itself.
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = event.target.querySelector("progress");
  if (bar && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  }
});
