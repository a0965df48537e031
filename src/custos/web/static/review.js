// The review player. A granted window plays as one masked stream (fragmented MP4 fed to Media
// Source Extensions): it starts as soon as the first half second is encoded, seeks anywhere
// (a seek inside what is loaded is instant, elsewhere it asks the server from that moment),
// plays at 0.25x to 8x, steps frame by frame, and skips the gaps the timeline shows. The
// server audits one viewing per window opened, and the ranges watched when it is closed.
// A piece can also be opened alone with its track list, to unmask the persons of the case.
(function () {
  const root = document.getElementById("review");
  if (!root) return;
  const grant = root.dataset.grant;
  const csrf = root.dataset.csrf;
  const identification = root.dataset.identification === "yes";
  const video = document.getElementById("player");
  const choice = document.getElementById("window-choice");
  const bar = document.getElementById("timeline-bar");
  const playhead = document.getElementById("playhead");
  const clock = document.getElementById("clock");
  const nowPlaying = document.getElementById("now-playing");
  const playerError = document.getElementById("player-error");
  const preparedNote = document.getElementById("prepared");
  const playButton = document.getElementById("play");
  const speed = document.getElementById("speed");
  const pieceList = document.getElementById("pieces");
  const panel = document.getElementById("tracks-panel");
  const piecePlayer = document.getElementById("piece-player");
  const piecePlaying = document.getElementById("piece-playing");
  const trackList = document.getElementById("tracks");
  const revealForm = document.getElementById("reveal-form");
  const CODEC = 'video/mp4; codecs="avc1.640029"';

  let windows = [];
  let current = null; // the window playing: its footage, as the server described it
  let viewing = null; // the viewing the server opened for it
  let source = null; // MediaSource
  let buffer = null; // its SourceBuffer
  let fetching = null; // AbortController of the stream being read
  let generation = 0; // which load the appended bytes belong to
  let openPiece = null;
  let shown = []; // the persons of the case the window's linked tracks show
  let pieceUrl = null;

  function showError(message) {
    playerError.textContent = message;
    playerError.hidden = !message;
  }

  function local(date) {
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  }

  function seconds(window, text) {
    return (Date.parse(text) - Date.parse(window.start)) / 1000;
  }

  function length(window) {
    return seconds(window, window.end);
  }

  function spans(window) {
    return window.pieces.map(function (p) { return [seconds(window, p.start), seconds(window, p.end)]; });
  }

  // --- the stream ------------------------------------------------------------------------

  function closeViewing() {
    if (viewing === null) return;
    const form = new FormData();
    form.append("csrf_token", csrf);
    navigator.sendBeacon("/api/viewings/" + viewing + "/close", form);
    viewing = null;
  }

  function whenIdle() {
    return new Promise(function (resolve) {
      if (!buffer || !buffer.updating) { resolve(); return; }
      buffer.addEventListener("updateend", function () { resolve(); }, { once: true });
    });
  }

  async function append(data, mine) {
    await whenIdle();
    if (mine !== generation) return false;
    buffer.appendBuffer(data);
    await whenIdle();
    return mine === generation;
  }

  function newSource() {
    return new Promise(function (resolve) {
      source = new MediaSource();
      video.src = URL.createObjectURL(source);
      source.addEventListener("sourceopen", function () {
        buffer = source.addSourceBuffer(CODEC);
        buffer.mode = "segments";
        resolve();
      }, { once: true });
    });
  }

  async function load(from, resume) {
    const mine = ++generation;
    if (fetching) fetching.abort();
    fetching = new AbortController();
    showError("");
    if (!source || source.readyState === "closed") {
      await newSource();
    } else {
      await whenIdle();
      if (buffer.buffered.length) {
        buffer.remove(0, Infinity);
        await whenIdle();
      }
    }
    if (mine !== generation) return;
    const query = new URLSearchParams({ from: from.toFixed(3) });
    if (viewing !== null) query.set("viewing", viewing);
    nowPlaying.textContent = "Masking " + current.camera + " from " + local(new Date(Date.parse(current.start) + from * 1000)) + "…";
    let response;
    try {
      response = await fetch(current.stream + "?" + query, { credentials: "same-origin", signal: fetching.signal });
    } catch (error) {
      if (error.name !== "AbortError") showError(error.message);
      return;
    }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
      showError(detail);
      nowPlaying.textContent = "";
      return;
    }
    viewing = response.headers.get("X-Custos-Viewing");
    const start = Number(response.headers.get("X-Custos-Stream-Start") || from);
    await whenIdle();
    buffer.timestampOffset = start;
    const reader = response.body.getReader();
    let first = true;
    try {
      for (;;) {
        const part = await reader.read();
        if (part.done) break;
        if (!(await append(part.value, mine))) { reader.cancel(); return; }
        if (first && buffer.buffered.length) {
          // The stream begins with a whole frame at `start` (or just before it, by rounding).
          first = false;
          video.currentTime = Math.max(start, buffer.buffered.start(0));
          nowPlaying.textContent = current.camera + (shown.length
            ? " — " + shown.join(", ") + " shown as filmed, everyone else masked"
            : " — everyone masked");
          if (resume) video.play().catch(function () { /* waits for a click */ });
        }
      }
    } catch (error) {
      if (error.name !== "AbortError") showError(error.message);
    }
  }

  function buffered(at) {
    for (let i = 0; buffer && i < buffer.buffered.length; i++) {
      if (buffer.buffered.start(i) - 0.05 <= at && at < buffer.buffered.end(i)) return true;
    }
    return false;
  }

  function seek(to) {
    to = Math.max(0, Math.min(length(current) - 0.001, to));
    // A moment in a gap is the start of the next piece.
    const next = spans(current).find(function (s) { return to < s[1]; });
    if (next && to < next[0]) to = next[0];
    if (buffered(to)) {
      video.currentTime = to;
    } else {
      load(to, !video.paused);
    }
  }

  function frame() {
    return 1 / (current && current.rate ? current.rate : 25);
  }

  // Skip a gap the stream holds no frames for: jump to where the next piece begins.
  video.addEventListener("waiting", function () {
    if (!current) return;
    const at = video.currentTime;
    const next = spans(current).find(function (s) { return s[0] > at + 0.01; });
    const inside = spans(current).some(function (s) { return s[0] <= at && at < s[1] - frame(); });
    if (!inside && next && buffered(next[0])) video.currentTime = next[0];
  });

  video.addEventListener("timeupdate", function () {
    if (!current) return;
    const at = video.currentTime;
    playhead.style.left = (100 * at / length(current)) + "%";
    clock.textContent = local(new Date(Date.parse(current.start) + at * 1000));
  });
  video.addEventListener("play", function () { playButton.textContent = "Pause"; });
  video.addEventListener("pause", function () { playButton.textContent = "Play"; });

  playButton.addEventListener("click", function () {
    if (video.paused) video.play(); else video.pause();
  });
  document.getElementById("frame-back").addEventListener("click", function () { video.pause(); seek(video.currentTime - frame()); });
  document.getElementById("frame-forward").addEventListener("click", function () { video.pause(); seek(video.currentTime + frame()); });
  document.getElementById("back").addEventListener("click", function () { seek(video.currentTime - 5); });
  document.getElementById("forward").addEventListener("click", function () { seek(video.currentTime + 5); });
  speed.addEventListener("change", function () { video.playbackRate = Number(speed.value); });
  bar.addEventListener("click", function (event) {
    const box = bar.getBoundingClientRect();
    seek(length(current) * (event.clientX - box.left) / box.width);
  });

  document.addEventListener("keydown", function (event) {
    if (!current || event.target.closest("input, textarea, select")) return;
    const rates = Array.from(speed.options).map(function (o) { return o.value; });
    const here = rates.indexOf(speed.value);
    const keys = {
      " ": function () { playButton.click(); },
      "k": function () { playButton.click(); },
      "ArrowLeft": function () { seek(video.currentTime - 5); },
      "ArrowRight": function () { seek(video.currentTime + 5); },
      ",": function () { video.pause(); seek(video.currentTime - frame()); },
      ".": function () { video.pause(); seek(video.currentTime + frame()); },
      "[": function () { speed.value = rates[Math.max(0, here - 1)]; speed.dispatchEvent(new Event("change")); },
      "]": function () { speed.value = rates[Math.min(rates.length - 1, here + 1)]; speed.dispatchEvent(new Event("change")); },
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });

  window.addEventListener("pagehide", closeViewing);

  function drawTimeline(window) {
    bar.querySelectorAll(".piece").forEach(function (mark) { mark.remove(); });
    const total = length(window);
    for (const [start, end] of spans(window)) {
      const mark = document.createElement("div");
      mark.className = "piece";
      mark.style.left = (100 * start / total) + "%";
      mark.style.width = Math.max(0.3, 100 * (end - start) / total) + "%";
      bar.append(mark);
    }
    const ready = window.prepared;
    preparedNote.textContent = ready.total
      ? "Tracks prepared: " + ready.done + " of " + ready.total + " pieces" + (ready.failed ? " (" + ready.failed + " detected as they play)" : "")
      : "";
  }

  // --- tracks of the window, and naming them as persons of the case -----------------------

  const tracksTable = document.getElementById("window-tracks");
  const tracksNote = document.getElementById("tracks-note");
  const linkForm = document.getElementById("link-form");
  const linkError = document.getElementById("link-error");
  const linkList = document.getElementById("links");

  async function send(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
      throw new Error(detail);
    }
    return response.json();
  }

  async function loadTracks(window) {
    const response = await fetch("/api/grants/" + grant + "/windows/" + window.id + "/tracks", { credentials: "same-origin" });
    if (!response.ok || window !== current) return;
    const found = await response.json();
    const body = tracksTable.querySelector("tbody");
    body.replaceChildren();
    for (const track of found.tracks) {
      const row = document.createElement("tr");
      row.dataset.track = String(track.track);
      const go = document.createElement("button");
      go.type = "button";
      go.textContent = "Go";
      go.addEventListener("click", function () { seek(track.first_s); });
      const linked = found.links.find(function (l) { return l.track === track.track; });
      row.append(cell("#" + track.track), cell(track.kind + (linked ? " — " + linked.person : "")), cell(track.first_s.toFixed(1) + " s – " + track.last_s.toFixed(1) + " s"), cell(go));
      body.append(row);
    }
    tracksTable.hidden = !found.tracks.length;
    tracksNote.textContent = found.ready
      ? (found.tracks.length ? "Each track keeps its number across the window." : "Nothing was found to mask in this window.")
      : "Some pieces are still being prepared: their tracks are numbered once they are.";
    if (!linkForm) return;
    const choice = document.getElementById("link-track");
    choice.replaceChildren(...found.tracks.filter(function (t) { return t.kind === "face"; }).map(function (t) {
      const option = document.createElement("option");
      option.value = String(t.track);
      option.textContent = "#" + t.track + " (" + t.first_s.toFixed(1) + "–" + t.last_s.toFixed(1) + " s)";
      return option;
    }));
    linkForm.hidden = !choice.options.length;
    shown = found.links.map(function (link) { return link.person; });
    linkList.replaceChildren(...found.links.map(function (link) {
      const item = document.createElement("li");
      item.dataset.link = String(link.id);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Remove";
      remove.addEventListener("click", async function () {
        const why = prompt("Why is track " + link.track + " no longer " + link.person + "?");
        if (!why) return;
        try {
          await send("/api/grants/" + grant + "/links/" + link.id + "/remove", { reason: why });
          changed();
        } catch (error) { showLinkError(error.message); }
      });
      item.append("Track #" + link.track + " is " + link.person + ", shown unmasked: " + link.reason + " ", remove);
      return item;
    }));
  }

  function cell(content) {
    const td = document.createElement("td");
    td.append(content);
    return td;
  }

  function showLinkError(message) {
    if (!linkError) return;
    linkError.textContent = message;
    linkError.hidden = !message;
  }

  // A link made or removed: the tracks again, and the stream again from where it is.
  function changed() {
    showLinkError("");
    loadTracks(current);
    load(video.currentTime, !video.paused);
  }

  if (linkForm) {
    linkForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        await send("/api/grants/" + grant + "/links", {
          window_id: current.id,
          track: Number(document.getElementById("link-track").value),
          person: document.getElementById("link-person").value,
          reason: document.getElementById("link-reason").value,
        });
        document.getElementById("link-reason").value = "";
        changed();
      } catch (error) { showLinkError(error.message); }
    });
  }

  function open(window) {
    closeViewing();
    current = window;
    drawTimeline(window);
    listPieces(window);
    loadTracks(window);
    if (!window.pieces.length) {
      nowPlaying.textContent = "Nothing was recorded in this window, or it has been erased.";
      return;
    }
    load(spans(window)[0][0], true);
  }

  choice.addEventListener("change", function () { open(windows[Number(choice.value)]); });

  // --- one piece, its tracks, unmasking the persons of the case --------------------------

  function listPieces(window) {
    pieceList.replaceChildren();
    for (const found of window.pieces) {
      const piece = Object.assign({ camera: window.camera }, found);
      const item = document.createElement("li");
      const link = document.createElement("button");
      link.type = "button";
      link.className = "piece-link";
      link.dataset.segment = piece.segment;
      link.textContent = local(new Date(piece.start)) + " – " + new Date(piece.end).toLocaleTimeString();
      link.addEventListener("click", function () { playPiece(piece, [], ""); });
      item.append(link);
      pieceList.append(item);
    }
  }

  async function playPiece(piece, reveal, reason) {
    video.pause();
    showError("");
    piecePlaying.textContent = "Masking the piece…";
    panel.hidden = false;
    const query = new URLSearchParams();
    if (reveal.length) {
      query.set("reveal", reveal.join(","));
      query.set("reason", reason);
    }
    const response = await fetch(piece.url + (reveal.length ? "?" + query : ""), { credentials: "same-origin" });
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
      piecePlaying.textContent = "";
      showError(detail);
      return;
    }
    const tracks = JSON.parse(response.headers.get("X-Custos-Tracks") || "[]");
    if (pieceUrl) URL.revokeObjectURL(pieceUrl);
    pieceUrl = URL.createObjectURL(await response.blob());
    piecePlayer.src = pieceUrl;
    piecePlayer.dataset.segment = piece.segment;
    piecePlayer.dataset.revealed = reveal.join(",");
    openPiece = piece;
    piecePlaying.textContent = local(new Date(piece.start)) + " – " + new Date(piece.end).toLocaleTimeString() +
      (reveal.length ? " — tracks " + reveal.join(", ") + " unmasked" : " — everyone masked");
    showTracks(tracks);
    piecePlayer.play().catch(function () { /* a muted clip may still wait for a click */ });
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
  }

  if (revealForm) {
    revealForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!openPiece) return;
      const ticked = Array.from(trackList.querySelectorAll("input:checked")).map(function (box) { return Number(box.value); });
      playPiece(openPiece, ticked, document.getElementById("reveal-reason").value);
    });
  }

  fetch("/api/grants/" + grant + "/footage", { credentials: "same-origin" })
    .then(async function (response) {
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || response.statusText);
      windows = body.windows;
      windows.forEach(function (window, index) {
        const option = document.createElement("option");
        option.value = String(index);
        option.textContent = window.camera + ": " + local(new Date(window.start)) + " – " + new Date(window.end).toLocaleTimeString();
        choice.append(option);
      });
      if (windows.length) open(windows[0]);
    })
    .catch(function (error) {
      nowPlaying.textContent = "";
      showError(error.message);
    });
})();
