// The review player. Each granted window plays as one masked stream (fragmented MP4 fed to
// Media Source Extensions): it starts as soon as the first half second is encoded, seeks
// anywhere (inside what is loaded at once, elsewhere by asking the server from that moment),
// plays at 0.25x to 8x, steps frame by frame, and skips the gaps the timeline shows. Up to four
// windows play side by side on one clock: the first one chosen leads, the others follow it to
// the same moment filmed. The server audits one viewing per window opened, and the ranges
// watched when it is closed. Bookmarks mark a moment with a note; tracks of the first window
// can be named as persons of the case; a piece can be opened alone with its track list.
(function () {
  const root = document.getElementById("review");
  if (!root) return;
  const grant = root.dataset.grant;
  const csrf = root.dataset.csrf;
  const identification = root.dataset.identification === "yes";
  const choice = document.getElementById("window-choice");
  const screens = document.getElementById("screens");
  const bars = document.getElementById("timeline-bars");
  const timeline = document.getElementById("timeline");
  const playhead = document.getElementById("playhead");
  const clock = document.getElementById("clock");
  const nowPlaying = document.getElementById("now-playing");
  const playerError = document.getElementById("player-error");
  const preparedNote = document.getElementById("prepared");
  const playButton = document.getElementById("play");
  const speed = document.getElementById("speed");
  const bookmarkForm = document.getElementById("bookmark-form");
  const bookmarkList = document.getElementById("bookmarks");
  const pieceList = document.getElementById("pieces");
  const panel = document.getElementById("tracks-panel");
  const piecePlayer = document.getElementById("piece-player");
  const piecePlaying = document.getElementById("piece-playing");
  const trackList = document.getElementById("tracks");
  const revealForm = document.getElementById("reveal-form");
  const CODEC = 'video/mp4; codecs="avc1.640029"';
  const MOST = 4;
  const DRIFT = 0.25; // seconds a follower may be off the leader before it is put right

  let windows = [];
  let bookmarks = [];
  let streams = []; // the windows playing, the leader first
  let range = null; // [first, last] moment filmed on the timeline, in ms
  let openPiece = null;
  let pieceUrl = null;
  let shown = []; // the persons the first window's linked tracks show

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

  // --- one window's stream ---------------------------------------------------------------

  function Stream(window) {
    this.window = window;
    this.start = Date.parse(window.start);
    this.viewing = null;
    this.source = null;
    this.buffer = null;
    this.fetching = null;
    this.generation = 0;
    this.pending = false;
    const screen = document.createElement("figure");
    screen.className = "screen";
    screen.dataset.window = String(window.id);
    this.video = document.createElement("video");
    this.video.muted = true;
    this.video.playsInline = true;
    this.absent = document.createElement("p");
    this.absent.className = "absent";
    this.absent.textContent = "Nothing filmed at this moment";
    this.absent.hidden = true;
    const caption = document.createElement("figcaption");
    caption.textContent = window.camera;
    screen.append(this.video, this.absent, caption);
    this.screen = screen;
  }

  Stream.prototype.idle = function () {
    const buffer = this.buffer;
    return new Promise(function (resolve) {
      if (!buffer || !buffer.updating) { resolve(); return; }
      buffer.addEventListener("updateend", function () { resolve(); }, { once: true });
    });
  };

  Stream.prototype.holds = function (at) {
    const ranges = this.buffer ? this.buffer.buffered : null;
    for (let i = 0; ranges && i < ranges.length; i++) {
      if (ranges.start(i) - 0.05 <= at && at < ranges.end(i)) return true;
    }
    return false;
  };

  Stream.prototype.open = function () {
    const self = this;
    return new Promise(function (resolve) {
      self.source = new MediaSource();
      self.video.src = URL.createObjectURL(self.source);
      self.source.addEventListener("sourceopen", function () {
        self.buffer = self.source.addSourceBuffer(CODEC);
        self.buffer.mode = "segments";
        resolve();
      }, { once: true });
    });
  };

  Stream.prototype.load = async function (from, resume) {
    const mine = ++this.generation;
    this.pending = true; // until its first frame is in: the group does not move it meanwhile
    if (this.fetching) this.fetching.abort();
    this.fetching = new AbortController();
    if (!this.source || this.source.readyState === "closed") {
      await this.open();
    } else {
      await this.idle();
      if (this.buffer.buffered.length) {
        this.buffer.remove(0, Infinity);
        await this.idle();
      }
    }
    if (mine !== this.generation) return;
    const query = new URLSearchParams({ from: from.toFixed(3) });
    if (this.viewing !== null) query.set("viewing", this.viewing);
    let response;
    try {
      response = await fetch(this.window.stream + "?" + query, { credentials: "same-origin", signal: this.fetching.signal });
    } catch (error) {
      if (error.name !== "AbortError") showError(error.message);
      return;
    }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
      showError(this.window.camera + ": " + detail);
      return;
    }
    this.viewing = response.headers.get("X-Custos-Viewing");
    const start = Number(response.headers.get("X-Custos-Stream-Start") || from);
    await this.idle();
    this.buffer.timestampOffset = start;
    const reader = response.body.getReader();
    let first = true;
    try {
      for (;;) {
        const part = await reader.read();
        if (part.done) break;
        await this.idle();
        if (mine !== this.generation) { reader.cancel(); return; }
        this.buffer.appendBuffer(part.value);
        await this.idle();
        if (first && this.buffer.buffered.length) {
          // The stream begins with a whole frame at `start` (or just before it, by rounding).
          first = false;
          this.pending = false;
          this.video.currentTime = Math.max(start, this.buffer.buffered.start(0));
          this.video.playbackRate = Number(speed.value);
          if (this === streams[0]) announce();
          if (resume) this.video.play().catch(function () { /* waits for a click */ });
        }
      }
    } catch (error) {
      if (error.name !== "AbortError") showError(error.message);
    }
  };

  // Go to `to` seconds of the window: a moment in a gap is the start of the next piece.
  Stream.prototype.seek = function (to, resume) {
    to = Math.max(0, Math.min(length(this.window) - 0.001, to));
    const next = spans(this.window).find(function (s) { return to < s[1]; });
    if (next && to < next[0]) to = next[0];
    if (this.holds(to)) {
      this.video.currentTime = to;
      if (resume) this.video.play().catch(function () {});
    } else {
      this.load(to, resume);
    }
  };

  Stream.prototype.close = function () {
    if (this.fetching) this.fetching.abort();
    this.generation++;
    if (this.viewing !== null) {
      const form = new FormData();
      form.append("csrf_token", csrf);
      navigator.sendBeacon("/api/viewings/" + this.viewing + "/close", form);
      this.viewing = null;
    }
    this.video.pause();
    this.video.removeAttribute("src");
  };

  // --- the group: the leader's clock, the followers in step ------------------------------

  function leader() { return streams[0]; }

  function moment() {
    const lead = leader();
    return lead ? lead.start + lead.video.currentTime * 1000 : null;
  }

  function frame() {
    const rate = leader() && leader().window.rate;
    return 1 / (rate || 25);
  }

  function announce() {
    const who = streams.map(function (s) { return s.window.camera; }).join(", ");
    nowPlaying.textContent = who + (shown.length
      ? " — " + shown.join(", ") + " shown as filmed, everyone else masked"
      : " — everyone masked");
  }

  // Every stream to the same moment filmed (ms), playing or not as the leader is.
  function goTo(at, resume) {
    for (const stream of streams) {
      const offset = (at - stream.start) / 1000;
      const inside = offset >= 0 && offset < length(stream.window);
      stream.absent.hidden = inside;
      if (inside) stream.seek(offset, resume);
      else stream.video.pause();
    }
  }

  function follow() {
    const lead = leader();
    if (!lead) return;
    const at = moment();
    for (const stream of streams.slice(1)) {
      const offset = (at - stream.start) / 1000;
      const inside = offset >= 0 && offset < length(stream.window);
      stream.absent.hidden = inside;
      if (!inside) { stream.video.pause(); continue; }
      if (stream.pending) continue;
      stream.video.playbackRate = lead.video.playbackRate;
      if (Math.abs(stream.video.currentTime - offset) > DRIFT) stream.seek(offset, !lead.video.paused);
      else if (lead.video.paused !== stream.video.paused) {
        if (lead.video.paused) stream.video.pause(); else stream.video.play().catch(function () {});
      }
    }
    drawPlayhead(at);
  }
  setInterval(follow, 200);

  function drawPlayhead(at) {
    if (!range || at === null) return;
    playhead.style.left = (100 * (at - range[0]) / (range[1] - range[0])) + "%";
    clock.textContent = local(new Date(at));
  }

  function playing(stream) {
    stream.video.addEventListener("play", function () { playButton.textContent = "Pause"; });
    stream.video.addEventListener("pause", function () { playButton.textContent = "Play"; });
    // Skip a gap the stream holds no frames for: jump to where the next piece begins.
    stream.video.addEventListener("waiting", function () {
      const at = stream.video.currentTime;
      const all = spans(stream.window);
      const next = all.find(function (s) { return s[0] > at + 0.01; });
      const inside = all.some(function (s) { return s[0] <= at && at < s[1] - frame(); });
      if (!inside && next && stream.holds(next[0])) stream.video.currentTime = next[0];
    });
  }

  function by(seconds) {
    const at = moment();
    if (at !== null) goTo(at + seconds * 1000, !leader().video.paused);
  }

  playButton.addEventListener("click", function () {
    const lead = leader();
    if (!lead) return;
    if (lead.video.paused) lead.video.play(); else lead.video.pause();
    follow();
  });
  document.getElementById("frame-back").addEventListener("click", function () { leader().video.pause(); by(-frame()); });
  document.getElementById("frame-forward").addEventListener("click", function () { leader().video.pause(); by(frame()); });
  document.getElementById("back").addEventListener("click", function () { by(-5); });
  document.getElementById("forward").addEventListener("click", function () { by(5); });
  speed.addEventListener("change", function () {
    for (const stream of streams) stream.video.playbackRate = Number(speed.value);
  });
  timeline.addEventListener("click", function (event) {
    if (!range) return;
    const box = bars.getBoundingClientRect();
    const at = range[0] + (range[1] - range[0]) * (event.clientX - box.left) / box.width;
    goTo(at, !leader().video.paused);
  });

  document.addEventListener("keydown", function (event) {
    if (!streams.length || event.target.closest("input, textarea, select")) return;
    const rates = Array.from(speed.options).map(function (o) { return o.value; });
    const here = rates.indexOf(speed.value);
    const keys = {
      " ": function () { playButton.click(); },
      "k": function () { playButton.click(); },
      "ArrowLeft": function () { by(-5); },
      "ArrowRight": function () { by(5); },
      ",": function () { leader().video.pause(); by(-frame()); },
      ".": function () { leader().video.pause(); by(frame()); },
      "[": function () { speed.value = rates[Math.max(0, here - 1)]; speed.dispatchEvent(new Event("change")); },
      "]": function () { speed.value = rates[Math.min(rates.length - 1, here + 1)]; speed.dispatchEvent(new Event("change")); },
      "b": function () { document.getElementById("bookmark-note").focus(); },
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });

  window.addEventListener("pagehide", function () { streams.forEach(function (s) { s.close(); }); });

  // --- the timeline: a row per camera, pieces as bars, gaps empty, bookmarks marked -------

  function drawTimeline() {
    bars.replaceChildren();
    if (!streams.length) { range = null; return; }
    range = [
      Math.min.apply(null, streams.map(function (s) { return s.start; })),
      Math.max.apply(null, streams.map(function (s) { return Date.parse(s.window.end); })),
    ];
    const total = range[1] - range[0];
    for (const stream of streams) {
      const bar = document.createElement("div");
      bar.className = "timeline-bar";
      bar.dataset.window = String(stream.window.id);
      bar.title = stream.window.camera;
      for (const piece of stream.window.pieces) {
        const mark = document.createElement("div");
        mark.className = "piece";
        mark.style.left = (100 * (Date.parse(piece.start) - range[0]) / total) + "%";
        mark.style.width = Math.max(0.3, 100 * (Date.parse(piece.end) - Date.parse(piece.start)) / total) + "%";
        bar.append(mark);
      }
      bars.append(bar);
    }
    for (const bookmark of bookmarks) {
      const at = Date.parse(bookmark.at);
      if (at < range[0] || at > range[1]) continue;
      const mark = document.createElement("div");
      mark.className = "bookmark";
      mark.title = bookmark.note;
      mark.style.left = (100 * (at - range[0]) / total) + "%";
      bars.append(mark);
    }
    const ready = streams.map(function (s) { return s.window.prepared; });
    const done = ready.reduce(function (n, r) { return n + r.done; }, 0);
    const all = ready.reduce(function (n, r) { return n + r.total; }, 0);
    const failed = ready.reduce(function (n, r) { return n + r.failed; }, 0);
    preparedNote.textContent = all
      ? "Tracks prepared: " + done + " of " + all + " pieces" + (failed ? " (" + failed + " detected as they play)" : "")
      : "";
  }

  function listBookmarks() {
    bookmarkList.replaceChildren(...bookmarks.map(function (bookmark) {
      const item = document.createElement("li");
      const go = document.createElement("button");
      go.type = "button";
      go.className = "link";
      go.textContent = local(new Date(bookmark.at));
      go.addEventListener("click", function () { goTo(Date.parse(bookmark.at), false); });
      const window = windows.find(function (w) { return w.id === bookmark.window_id; });
      item.append(go, " " + (window ? window.camera : "") + ": " + bookmark.note);
      return item;
    }));
  }

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

  bookmarkForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    const lead = leader();
    if (!lead) return;
    const note = document.getElementById("bookmark-note");
    try {
      bookmarks.push(await send("/api/grants/" + grant + "/bookmarks", {
        window_id: lead.window.id, at_s: lead.video.currentTime, note: note.value,
      }));
      bookmarks.sort(function (a, b) { return Date.parse(a.at) - Date.parse(b.at); });
      note.value = "";
      drawTimeline();
      listBookmarks();
    } catch (error) { showError(error.message); }
  });

  // --- choosing the windows played together ----------------------------------------------

  function choose() {
    const ticked = Array.from(choice.querySelectorAll("input:checked")).map(function (box) { return windows[Number(box.value)]; });
    for (const box of choice.querySelectorAll("input")) box.disabled = !box.checked && ticked.length >= MOST;
    const at = moment();
    for (const stream of streams) {
      if (!ticked.includes(stream.window)) stream.close();
    }
    const kept = streams.filter(function (s) { return ticked.includes(s.window); });
    streams = ticked.map(function (window) {
      return kept.find(function (s) { return s.window === window; }) || makeStream(window);
    });
    screens.replaceChildren(...streams.map(function (s) { return s.screen; }));
    screens.dataset.count = String(streams.length);
    drawTimeline();
    if (!streams.length) { nowPlaying.textContent = "Choose a window to play."; return; }
    const lead = leader();
    listPieces(lead.window);
    loadTracks(lead.window);
    document.getElementById("tracks-window").textContent = lead.window.camera;
    const first = streams.find(function (s) { return s.window.pieces.length; });
    if (!first) { nowPlaying.textContent = "Nothing was recorded in these windows, or it has been erased."; return; }
    goTo(at !== null ? at : Date.parse(first.window.pieces[0].start), true);
  }

  function makeStream(window) {
    const stream = new Stream(window);
    playing(stream);
    return stream;
  }

  // --- tracks of the first window, and naming them as persons of the case ----------------

  const tracksTable = document.getElementById("window-tracks");
  const tracksNote = document.getElementById("tracks-note");
  const linkForm = document.getElementById("link-form");
  const linkError = document.getElementById("link-error");
  const linkList = document.getElementById("links");

  async function loadTracks(window) {
    const response = await fetch("/api/grants/" + grant + "/windows/" + window.id + "/tracks", { credentials: "same-origin" });
    if (!response.ok || !leader() || window !== leader().window) return;
    const found = await response.json();
    const body = tracksTable.querySelector("tbody");
    body.replaceChildren();
    for (const track of found.tracks) {
      const row = document.createElement("tr");
      row.dataset.track = String(track.track);
      const go = document.createElement("button");
      go.type = "button";
      go.textContent = "Go";
      go.addEventListener("click", function () { goTo(Date.parse(window.start) + track.first_s * 1000, false); });
      const linked = found.links.find(function (l) { return l.track === track.track; });
      row.append(cell("#" + track.track), cell(track.kind + (linked ? " — " + linked.person : "")), cell(track.first_s.toFixed(1) + " s – " + track.last_s.toFixed(1) + " s"), cell(go));
      body.append(row);
    }
    tracksTable.hidden = !found.tracks.length;
    tracksNote.textContent = found.ready
      ? (found.tracks.length ? "Each track keeps its number across the window." : "Nothing was found to mask in this window.")
      : "Some pieces are still being prepared: their tracks are numbered once they are.";
    shown = found.links.map(function (link) { return link.person; });
    if (!linkForm) return;
    const picker = document.getElementById("link-track");
    picker.replaceChildren(...found.tracks.filter(function (t) { return t.kind === "face"; }).map(function (t) {
      const option = document.createElement("option");
      option.value = String(t.track);
      option.textContent = "#" + t.track + " (" + t.first_s.toFixed(1) + "–" + t.last_s.toFixed(1) + " s)";
      return option;
    }));
    linkForm.hidden = !picker.options.length;
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
          linksChanged();
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

  // A link made or removed: the tracks again, and the first window's stream from where it is.
  function linksChanged() {
    showLinkError("");
    const lead = leader();
    loadTracks(lead.window);
    lead.load(lead.video.currentTime, !lead.video.paused);
  }

  if (linkForm) {
    linkForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        await send("/api/grants/" + grant + "/links", {
          window_id: leader().window.id,
          track: Number(document.getElementById("link-track").value),
          person: document.getElementById("link-person").value,
          reason: document.getElementById("link-reason").value,
        });
        document.getElementById("link-reason").value = "";
        linksChanged();
      } catch (error) { showLinkError(error.message); }
    });
  }

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
    streams.forEach(function (s) { s.video.pause(); });
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
      bookmarks = body.bookmarks;
      windows.forEach(function (window, index) {
        const label = document.createElement("label");
        label.className = "inline";
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = String(index);
        box.checked = index === 0;
        box.addEventListener("change", choose);
        label.append(box, " " + window.camera + ": " + local(new Date(window.start)) + " – " + new Date(window.end).toLocaleTimeString());
        choice.append(label);
      });
      listBookmarks();
      choose();
    })
    .catch(function (error) {
      nowPlaying.textContent = "";
      showError(error.message);
    });
})();
