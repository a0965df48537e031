// The health page: times in the viewer's own time zone, and the figures fetched again every
// few seconds without reloading the page (the table is swapped for the one the server renders).
(function () {
  const root = document.getElementById("health");
  if (!root) return;
  const seconds = Number(root.dataset.refreshSeconds || 5);

  const localise = window.custosLocalise;

  function refresh() {
    fetch(window.location.pathname, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("health");
        if (fresh) {
          root.innerHTML = fresh.innerHTML;
          localise(root);
          root.dataset.refreshed = String(Date.now());
        }
      })
      .catch(function () {
        root.dataset.stale = "true";
      });
  }

  localise(root);
  setInterval(refresh, seconds * 1000);
})();
