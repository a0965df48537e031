// Refreshes the live picture every few seconds; says so when the camera cannot be reached.
(function () {
  const picture = document.getElementById("live-picture");
  const status = document.getElementById("live-status");
  if (!picture) return;
  const seconds = Number(picture.dataset.refreshSeconds || 5);
  const base = picture.src.split("?")[0];
  picture.addEventListener("load", function () {
    status.textContent = "Updated " + new Date().toLocaleTimeString();
  });
  picture.addEventListener("error", function () {
    status.textContent = "The camera cannot be reached now; trying again.";
  });
  setInterval(function () {
    picture.src = base + "?t=" + Date.now();
  }, seconds * 1000);
})();
