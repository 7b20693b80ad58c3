// Copy buttons on the transcription screen: copy the value the button names, as shown.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const value = document.getElementById(button.dataset.copy).textContent.trim();
  try {
    await navigator.clipboard.writeText(value);
    button.textContent = "コピーしました";
  } catch {
    button.textContent = "コピーできません";
  }
  setTimeout(() => { button.textContent = "コピー"; }, 1500);
});
