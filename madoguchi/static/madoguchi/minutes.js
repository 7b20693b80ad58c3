// 会議録: record in the browser and send the audio every few seconds (each piece a whole
// file: the recorder is restarted rather than sliced, so the server can decode every piece
// on its own), play a segment's audio from where it starts, ask before 確定.
(() => {
  "use strict";
  const csrf = () => document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";

  const refreshTranscript = () => {
    const transcript = document.getElementById("transcript");
    const typing = transcript && transcript.contains(document.activeElement)
      && document.activeElement.matches("input, textarea");
    if (transcript && window.htmx && !typing) {
      window.htmx.ajax("GET", `${location.pathname}transcript/`, { target: "#transcript", swap: "outerHTML" });
    }
  };

  const recorder = document.querySelector("[data-recorder]");
  if (recorder) {
    const start = recorder.querySelector("[data-record-start]");
    const stop = recorder.querySelector("[data-record-stop]");
    const status = recorder.querySelector("[data-record-status]");
    const seconds = Number(recorder.dataset.chunkSeconds) || 5;
    const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm"].find(
      (t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t));
    let stream = null, began = 0, sent = 0, queue = Promise.resolve(), timer = null;

    const send = (blob, offset) => {
      queue = queue.then(async () => {
        const body = new FormData();
        body.append("audio", blob, type && type.includes("ogg") ? "chunk.ogg" : "chunk.webm");
        body.append("offset", offset.toFixed(2));
        const response = await fetch(recorder.dataset.chunkUrl, {
          method: "POST", body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" });
        if (!response.ok) {
          const answer = await response.json().catch(() => ({}));
          status.textContent = answer.error || "音声を送れませんでした (" + response.status + ")";
          return;
        }
        sent += 1;
        refreshTranscript();
      });
    };

    const piece = () => {
      if (!stream) return;
      const offset = (performance.now() - began) / 1000;
      const media = new MediaRecorder(stream, type ? { mimeType: type } : {});
      const parts = [];
      media.ondataavailable = (e) => { if (e.data.size) parts.push(e.data); };
      media.onstop = () => { if (parts.length) send(new Blob(parts, { type: media.mimeType }), offset); };
      media.start();
      timer = setTimeout(() => { media.stop(); piece(); }, seconds * 1000);
      const elapsed = Math.round(offset);
      status.textContent = `録音中 ${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, "0")} · 送信 ${sent} 件`;
      recorder.stopPiece = () => { clearTimeout(timer); if (media.state !== "inactive") media.stop(); };
    };

    start.addEventListener("click", async () => {
      if (!window.MediaRecorder) { status.textContent = "このブラウザでは録音できません。ファイルを送ってください"; return; }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (error) {
        status.textContent = "マイクを使えません: " + error.message;
        return;
      }
      began = performance.now();
      start.hidden = true; stop.hidden = false;
      piece();
    });
    stop.addEventListener("click", () => {
      recorder.stopPiece?.();
      stream?.getTracks().forEach((t) => t.stop());
      stream = null;
      start.hidden = false; stop.hidden = true;
      status.textContent = "録音を止めました。残りの文字起こしを待っています";
    });
  }

  // Play a segment: its piece's audio from the segment's start.
  const player = new Audio();
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-play]");
    if (!button) return;
    const segment = button.closest("[data-audio]");
    const at = Number(segment.dataset.at) || 0;
    const src = new URL(segment.dataset.audio, location.href).href;
    if (player.src !== src) player.src = src;
    const go = () => { player.currentTime = at; player.play(); };
    if (player.readyState >= 1) go(); else player.addEventListener("loadedmetadata", go, { once: true });
  });

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset?.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
