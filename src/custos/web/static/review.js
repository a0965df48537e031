// The review player: draws a timeline per granted window from the grant's footage, plays the
// masked part of a segment on click, and lists its tracks so the persons of the case can be
// shown unmasked when the grant allows it. Every clip is fetched whole: one render, one view.
(function () {
  const root = document.getElementById("review");
  if (!root) return;
  const grant = root.dataset.grant;
  const identification = root.dataset.identification === "yes";
  const timeline = document.getElementById("timeline");
  const player = document.getElementById("player");
  const nowPlaying = document.getElementById("now-playing");
  const playerError = document.getElementById("player-error");
  const panel = document.getElementById("tracks-panel");
  const trackList = document.getElementById("tracks");
  const revealForm = document.getElementById("reveal-form");
  let current = null;
  let objectUrl = null;

  function utc(text) {
    return new Date(text).toISOString().replace("T", " ").slice(0, 19);
  }

  function showError(message) {
    playerError.textContent = message;
    playerError.hidden = false;
  }

  async function play(piece, reveal, reason) {
    playerError.hidden = true;
    nowPlaying.textContent = "Masking " + piece.camera + " " + utc(piece.start) + " – " + utc(piece.end) + " UTC…";
    const query = new URLSearchParams();
    if (reveal.length) {
      query.set("reveal", reveal.join(","));
      query.set("reason", reason);
    }
    const response = await fetch(piece.url + (reveal.length ? "?" + query : ""), { credentials: "same-origin" });
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
      nowPlaying.textContent = "";
      showError(detail);
      return;
    }
    const tracks = JSON.parse(response.headers.get("X-Custos-Tracks") || "[]");
    const blob = await response.blob();
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(blob);
    player.src = objectUrl;
    player.dataset.segment = piece.segment;
    player.dataset.revealed = reveal.join(",");
    current = piece;
    nowPlaying.textContent = piece.camera + " " + utc(piece.start) + " – " + utc(piece.end) + " UTC" +
      (reveal.length ? " — tracks " + reveal.join(", ") + " unmasked" : " — everyone masked");
    showTracks(tracks);
    player.play().catch(function () { /* a muted clip may still wait for a click */ });
  }

  function showTracks(tracks) {
    trackList.replaceChildren();
    for (const track of tracks) {
      const item = document.createElement("li");
      const label = document.createElement("label");
      label.className = "inline";
      if (identification) {
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = String(track.track);
        box.checked = track.visible;
        label.append(box, " ");
      }
      label.append("track " + track.track + " (" + track.kind + ")" + (track.visible ? ", unmasked" : ", masked"));
      item.append(label);
      trackList.append(item);
    }
    if (!tracks.length) {
      const item = document.createElement("li");
      item.className = "muted";
      item.textContent = "Nothing was found to mask in this piece.";
      trackList.append(item);
    }
    panel.hidden = false;
  }

  if (revealForm) {
    revealForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!current) return;
      const ticked = Array.from(trackList.querySelectorAll("input:checked")).map(function (box) { return Number(box.value); });
      play(current, ticked, document.getElementById("reveal-reason").value);
    });
  }

  function drawWindow(window) {
    const section = document.createElement("div");
    section.className = "window";
    const title = document.createElement("h2");
    title.textContent = window.camera + ": " + utc(window.start) + " – " + utc(window.end) + " UTC";
    const bar = document.createElement("div");
    bar.className = "timeline-bar";
    const from = Date.parse(window.start);
    const span = Date.parse(window.end) - from;
    const list = document.createElement("ol");
    list.className = "pieces";
    for (const found of window.pieces) {
      const piece = Object.assign({ camera: window.camera }, found);
      const mark = document.createElement("button");
      mark.type = "button";
      mark.className = "piece";
      mark.style.left = (100 * (Date.parse(piece.start) - from) / span) + "%";
      mark.style.width = Math.max(0.5, 100 * (Date.parse(piece.end) - Date.parse(piece.start)) / span) + "%";
      mark.title = utc(piece.start) + " – " + utc(piece.end);
      mark.addEventListener("click", function () { play(piece, [], ""); });
      bar.append(mark);
      const item = document.createElement("li");
      const link = document.createElement("button");
      link.type = "button";
      link.className = "piece-link";
      link.dataset.segment = piece.segment;
      link.textContent = utc(piece.start).slice(11) + " – " + utc(piece.end).slice(11);
      link.addEventListener("click", function () { play(piece, [], ""); });
      item.append(link);
      list.append(item);
    }
    section.append(title, bar);
    if (!window.pieces.length) {
      const none = document.createElement("p");
      none.className = "muted";
      none.textContent = "Nothing was recorded in this window, or it has been erased.";
      section.append(none);
    }
    section.append(list);
    return section;
  }

  fetch("/api/grants/" + grant + "/footage", { credentials: "same-origin" })
    .then(async function (response) {
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || response.statusText);
      timeline.replaceChildren(...body.windows.map(drawWindow));
    })
    .catch(function (error) {
      timeline.replaceChildren();
      showError(error.message);
    });
})();
