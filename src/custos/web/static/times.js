// Every <time datetime="..."> on a page is shown in the viewer's own time zone; the UTC text
// the server wrote stays as the tooltip's ISO form and is what shows without JavaScript.
window.custosLocalise = function (scope) {
  scope.querySelectorAll("time[datetime]").forEach(function (time) {
    const at = new Date(time.getAttribute("datetime"));
    if (!isNaN(at)) {
      time.textContent = at.toLocaleString(document.documentElement.lang || undefined);
      time.title = at.toISOString();
    }
  });
};
document.addEventListener("DOMContentLoaded", function () {
  window.custosLocalise(document);
});
