// Live video: each camera's masked pictures (MJPEG) read as a stream, shown as they come, with
// the pictures per second and their age counted here in the browser. When the stream ends
// (the camera dropped, the server restarted) it is asked for again after a moment.
(function () {
  const BOUNDARY = "--custos-live";

  function find(haystack, needle, from) {
    outer: for (let i = from; i <= haystack.length - needle.length; i++) {
      for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  function play(figure) {
    const canvas = figure.querySelector(".live-video");
    const context = canvas.getContext("2d");
    const rate = figure.querySelector(".live-rate");
    const status = figure.querySelector(".live-status");
    const separator = new TextEncoder().encode("\r\n\r\n");
    const shown = []; // when the last pictures were drawn, for the rate
    let drawing = false;

    // Draw a picture once it is decoded; one that comes while another is decoded is dropped,
    // so a slow screen shows fewer pictures, never old ones.
    async function show(jpeg, captured) {
      if (drawing) return;
      drawing = true;
      try {
        const picture = await createImageBitmap(new Blob([jpeg], { type: "image/jpeg" }));
        if (canvas.width !== picture.width || canvas.height !== picture.height) {
          canvas.width = picture.width;
          canvas.height = picture.height;
          figure.dataset.width = String(picture.width);
          figure.dataset.height = String(picture.height);
        }
        context.drawImage(picture, 0, 0);
        picture.close();
      } catch (error) {
        return;
      } finally {
        drawing = false;
      }
      const now = performance.now();
      shown.push(now);
      while (shown.length && shown[0] < now - 2000) shown.shift();
      const fps = (shown.length - 1) / Math.max(0.001, (now - shown[0]) / 1000);
      figure.dataset.fps = shown.length > 1 ? fps.toFixed(1) : "0";
      figure.dataset.pictures = String(Number(figure.dataset.pictures || 0) + 1);
      const age = captured ? Math.max(0, Date.now() / 1000 - captured) : null;
      if (age !== null) figure.dataset.age = age.toFixed(2);
      rate.textContent = fps.toFixed(1) + " pictures/s" + (age !== null ? ", " + age.toFixed(1) + " s old" : "");
    }

    async function read() {
      status.textContent = "connecting…";
      let response;
      try {
        response = await fetch(canvas.dataset.src, { credentials: "same-origin" });
      } catch (error) {
        status.textContent = "cannot be reached; trying again";
        setTimeout(read, 3000);
        return;
      }
      if (!response.ok) {
        let detail = response.statusText;
        try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
        status.textContent = detail + "; trying again";
        setTimeout(read, 5000);
        return;
      }
      status.textContent = "";
      const reader = response.body.getReader();
      let buffer = new Uint8Array(0);
      for (;;) {
        const part = await reader.read();
        if (part.done) break;
        const joined = new Uint8Array(buffer.length + part.value.length);
        joined.set(buffer);
        joined.set(part.value, buffer.length);
        buffer = joined;
        for (;;) {
          const headEnd = find(buffer, separator, 0);
          if (headEnd < 0) break;
          const head = new TextDecoder().decode(buffer.subarray(0, headEnd));
          const length = Number((/Content-Length: (\d+)/i.exec(head) || [])[1]);
          const captured = Number((/X-Custos-Captured: ([\d.]+)/i.exec(head) || [])[1]);
          const start = headEnd + separator.length;
          if (!length || buffer.length < start + length) break;
          show(buffer.slice(start, start + length), captured);
          buffer = buffer.slice(start + length);
        }
      }
      status.textContent = "the video stopped; asking again";
      setTimeout(read, 2000);
    }

    read();
  }

  document.querySelectorAll("figure.live[data-camera]").forEach(play);
})();
